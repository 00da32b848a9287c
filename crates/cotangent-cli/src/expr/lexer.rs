//! The lexer: turns source text into tokens, one at a time, on demand.
//!
//! Tokens carry their byte span. Lexing is lazy so that the parser reports
//! the leftmost error in the input, whether it is a lexical one (a stray
//! character, a malformed number) or a syntactic one.

use super::error::ParseError;

/// The kind of a token. Identifiers carry no text; the parser slices it out
/// of the source with the token's span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A numeric literal and its (finite, non-negative) value.
    Num(f64),
    /// An identifier: `[A-Za-z_][A-Za-z0-9_]*`.
    Ident,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `^`, or its synonym `**` (two bytes long)
    Caret,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// The end of the input (an empty span at the source length).
    End,
}

/// A token and the byte range `start..end` it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Produces tokens from a source string.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    /// A lexer positioned at the start of `src`.
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
        }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn digit_at(&self, i: usize) -> bool {
        i < self.bytes.len() && self.bytes[i].is_ascii_digit()
    }

    fn skip_digits(&mut self) {
        while self.digit_at(self.pos) {
            self.pos += 1;
        }
    }

    // The two loops below are the lexer's hot path; they are written with
    // byte patterns rather than helper calls to stay fast in debug builds.

    fn skip_whitespace(&mut self) {
        let (bytes, mut pos) = (self.bytes, self.pos);
        while pos < bytes.len() {
            match bytes[pos] {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => pos += 1,
                _ => break,
            }
        }
        self.pos = pos;
    }

    fn skip_ident_chars(&mut self) {
        let (bytes, mut pos) = (self.bytes, self.pos);
        while pos < bytes.len() {
            match bytes[pos] {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => pos += 1,
                _ => break,
            }
        }
        self.pos = pos;
    }

    /// The next token, or the error at the next lexical problem. After
    /// [`Tok::End`] it keeps returning `End`.
    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_whitespace();
        let start = self.pos;
        let Some(b) = self.byte(start) else {
            return Ok(Token {
                tok: Tok::End,
                start,
                end: start,
            });
        };
        let single = match b {
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            b'*' => Some(Tok::Star),
            b'/' => Some(Tok::Slash),
            b'^' => Some(Tok::Caret),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        let tok = if b == b'*' && self.byte(start + 1) == Some(b'*') {
            self.pos += 2;
            Tok::Caret
        } else if let Some(tok) = single {
            self.pos += 1;
            tok
        } else if b.is_ascii_digit() || (b == b'.' && self.digit_at(start + 1)) {
            Tok::Num(self.number()?)
        } else if b.is_ascii_alphabetic() || b == b'_' {
            self.skip_ident_chars();
            Tok::Ident
        } else {
            let c = self.src[start..].chars().next().unwrap_or('\u{fffd}');
            return Err(ParseError::new(
                format!("unexpected character `{}`", c.escape_debug()),
                start,
                c.len_utf8(),
            ));
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    /// Lexes `digits [. digits] [(e|E) [+|-] digits]`, where the mantissa has
    /// at least one digit, and rejects anything glued onto it.
    fn number(&mut self) -> Result<f64, ParseError> {
        let start = self.pos;
        self.skip_digits();
        if self.byte(self.pos) == Some(b'.') {
            self.pos += 1;
            self.skip_digits();
        }
        if matches!(self.byte(self.pos), Some(b'e' | b'E')) {
            let sign = matches!(self.byte(self.pos + 1), Some(b'+' | b'-'));
            let digits_at = self.pos + 1 + usize::from(sign);
            if self.digit_at(digits_at) {
                self.pos = digits_at;
                self.skip_digits();
            } else {
                self.pos = digits_at;
                self.skip_glued();
                return Err(self.malformed(start, ": the exponent has no digits"));
            }
        }
        let valid_end = self.pos;
        if self
            .byte(self.pos)
            .is_some_and(|b| is_ident_char(b) || b == b'.')
        {
            let letter = self
                .byte(self.pos)
                .is_some_and(|b| b != b'.' && !b.is_ascii_digit());
            self.skip_glued();
            let hint = if letter {
                format!(
                    "; use `*` to multiply, as in `{}*{}`",
                    &self.src[start..valid_end],
                    &self.src[valid_end..self.pos]
                )
            } else {
                String::new()
            };
            return Err(self.malformed(start, &hint));
        }
        let text = &self.src[start..valid_end];
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(ParseError::new(
                format!("number `{text}` is too large"),
                start,
                valid_end - start,
            )),
            Err(_) => Err(self.malformed(start, "")),
        }
    }

    /// Skips the identifier characters and dots glued onto a bad number.
    fn skip_glued(&mut self) {
        while self
            .byte(self.pos)
            .is_some_and(|b| is_ident_char(b) || b == b'.')
        {
            self.pos += 1;
        }
    }

    fn malformed(&self, start: usize, detail: &str) -> ParseError {
        ParseError::new(
            format!(
                "malformed number `{}`{}",
                &self.src[start..self.pos],
                detail
            ),
            start,
            self.pos - start,
        )
    }
}
