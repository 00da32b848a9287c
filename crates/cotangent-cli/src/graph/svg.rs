//! SVG rendering of a [`Graph`], written directly as text.
//!
//! Each node is a rounded box: its definition in bold (`v₃ = v₋₁ · v₀`, with
//! real subscripts), its value in blue and its adjoint in red. Inputs are
//! green, the output orange. Edges are curves with arrowheads, laid out by
//! [`super::layout`], each labelled in purple with its local partial
//! derivative. Text is monospaced so that box sizes can be computed
//! exactly without font metrics.

use std::fmt::Write;

use super::layout::{layout, Layout, Spacing};
use super::{Graph, Role};
use crate::number::human;

/// Font size of node text, in px.
const FONT: f64 = 13.0;
/// Advance width of one monospace character, as a fraction of the size.
const ADVANCE: f64 = 0.602;
/// Subscripts are drawn at this fraction of the font size.
const SUB: f64 = 0.72;
/// Space between box edge and text.
const PAD: f64 = 12.0;
/// Height of one text line.
const LINE: f64 = 18.0;
/// Height of the header above the graph.
const HEADER: f64 = 54.0;
/// Height of the legend below it.
const FOOTER: f64 = 34.0;
/// Room right of the graph for the arrow to `f`.
const OUT_ARROW: f64 = 40.0;
/// Font stack; DejaVu Sans Mono has every symbol used.
const FAMILY: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/// Escapes text for XML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a run of text sits on the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shift {
    /// On the baseline.
    Base,
    /// A subscript.
    Sub,
    /// A superscript (a numeric exponent).
    Sup,
}

/// Splits `text` into runs. Subscripts: the `3`, `-1` or `i` of `v_3`,
/// `v_-1`, `v̄_i` (an underscore after `v` or `v̄`, then digits with an
/// optional minus sign, or one letter). Superscripts: a number after `^`,
/// whose `^` is dropped (`v_1^2` reads v₁²). A minus becomes `−`.
fn runs(text: &str) -> Vec<(String, Shift)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<(String, Shift)> = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let special = subscript_end(&chars, i)
            .map(|e| (e, Shift::Sub))
            .or_else(|| superscript_end(&chars, i).map(|e| (e, Shift::Sup)));
        if let Some((end, shift)) = special {
            let script: String = chars[i + 1..end]
                .iter()
                .map(|&c| if c == '-' { '−' } else { c })
                .collect();
            out.push((std::mem::take(&mut plain), Shift::Base));
            out.push((script, shift));
            i = end;
        } else {
            plain.push(chars[i]);
            i += 1;
        }
    }
    out.push((plain, Shift::Base));
    out.retain(|(s, _)| !s.is_empty());
    out
}

/// The end of the optionally signed digits (and dots) from `chars[from]`,
/// if there is at least one digit.
fn number_end(chars: &[char], from: usize) -> Option<usize> {
    let mut j = from;
    if chars.get(j) == Some(&'-') {
        j += 1;
    }
    let start = j;
    while chars
        .get(j)
        .is_some_and(|c| c.is_ascii_digit() || *c == '.')
    {
        j += 1;
    }
    (j > start).then_some(j)
}

/// If `chars[i]` is a `^` followed by a number, the index just past it.
fn superscript_end(chars: &[char], i: usize) -> Option<usize> {
    if chars[i] != '^' {
        return None;
    }
    number_end(chars, i + 1)
}

/// If `chars[i]` is the `_` of a subscript, the index just past it.
fn subscript_end(chars: &[char], i: usize) -> Option<usize> {
    let after_v = match i {
        0 => false,
        1 => chars[0] == 'v',
        _ => chars[i - 1] == 'v' || (chars[i - 1] == '\u{304}' && chars[i - 2] == 'v'),
    };
    if chars[i] != '_' || !after_v {
        return None;
    }
    if let Some(end) = number_end(chars, i + 1) {
        return Some(end);
    }
    let at = |k: usize| chars.get(k).copied();
    let letter = at(i + 1).is_some_and(|c| c.is_ascii_alphabetic())
        && !at(i + 2).is_some_and(|c| c.is_ascii_alphanumeric());
    letter.then_some(i + 2)
}

/// Display width of `text` in px at [`FONT`], subscripts included.
fn text_width(text: &str) -> f64 {
    runs(text)
        .iter()
        .map(|(s, shift)| {
            let n = crate::table::width(s) as f64;
            n * ADVANCE * FONT * if *shift == Shift::Base { 1.0 } else { SUB }
        })
        .sum()
}

/// The `<tspan>`s of `text`, subscripts lowered, superscripts raised, both
/// shrunk. Spaces are
/// kept (as no-break spaces, since SVG collapses ordinary ones).
fn tspans(text: &str) -> String {
    let mut out = String::new();
    for (s, shift) in runs(text) {
        let s = escape(&s).replace(' ', "\u{a0}");
        let raise = match shift {
            Shift::Base => {
                out.push_str(&s);
                continue;
            }
            Shift::Sub => -4,
            Shift::Sup => 5,
        };
        let _ = write!(
            out,
            r#"<tspan baseline-shift="{raise}" font-size="{:.1}">{s}</tspan>"#,
            FONT * SUB
        );
    }
    out
}

/// The lines of a node's box: title, then the value and adjoint numbers
/// (drawn after the labels `value` and `adjoint`).
fn lines(g: &Graph, i: usize) -> [String; 3] {
    let n = &g.nodes[i];
    [n.title(), human(n.value), human(n.adjoint)]
}

/// Width of the labels column, `adjoint `.
const LABEL_CHARS: f64 = 8.0;

fn size(g: &Graph, i: usize) -> (f64, f64) {
    let [t, v, a] = lines(g, i);
    let numbers = text_width(&v).max(text_width(&a)) + LABEL_CHARS * ADVANCE * FONT;
    (text_width(&t).max(numbers) + 2.0 * PAD, 3.0 * LINE + 14.0)
}

/// An SVG path through `pts`, each step a curve with horizontal tangents
/// (or a straight line for a level step).
fn path(pts: &[(f64, f64)]) -> String {
    let mut d = format!("M{:.1},{:.1}", pts[0].0, pts[0].1);
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if (y0 - y1).abs() < 0.5 {
            let _ = write!(d, " L{x1:.1},{y1:.1}");
        } else {
            let mx = (x1 - x0) / 2.0;
            let _ = write!(
                d,
                " C{:.1},{y0:.1} {:.1},{y1:.1} {x1:.1},{y1:.1}",
                x0 + mx,
                x1 - mx
            );
        }
    }
    d
}

fn colours(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Input => ("#e8f5e9", "#2e7d32"),
        Role::Op => ("#f4f6fb", "#4a5a78"),
        Role::Output | Role::Constant => ("#fff3e0", "#e65100"),
    }
}

/// Font size of the edge labels, in px.
const EDGE_FONT: f64 = 11.0;

/// The label of edge `e`: its local partial derivative.
fn edge_label(g: &Graph, e: usize) -> String {
    human(g.partials[e])
}

/// Where along an edge's last step its label is centred: the curve's point
/// at this parameter, about two thirds across the gap. Not the middle, where
/// two crossing edges would put their labels on top of each other.
const LABEL_T: f64 = 0.7;

/// The point at [`LABEL_T`] of the step from `(x0, y0)` to `(x1, y1)` drawn
/// by [`path`] (a cubic with horizontal tangents, or a level line).
fn label_point((x0, y0): (f64, f64), (x1, y1): (f64, f64)) -> (f64, f64) {
    let t = LABEL_T;
    let across = 1.5 * t * (1.0 - t) + t * t * t;
    let down = 3.0 * t * t - 2.0 * t * t * t;
    (x0 + (x1 - x0) * across, y0 + (y1 - y0) * down)
}

/// Width in px of an edge label.
fn label_width(label: &str) -> f64 {
    crate::table::width(label) as f64 * ADVANCE * EDGE_FONT
}

/// Renders `g` as a standalone SVG document.
pub fn render(g: &Graph) -> String {
    let sizes: Vec<(f64, f64)> = (0..g.nodes.len()).map(|i| size(g, i)).collect();
    // Columns wide enough for the edge labels drawn between them: a label
    // centred at `across` of the gap must end before the next column.
    let widest = (0..g.edges.len())
        .map(|e| label_width(&edge_label(g, e)))
        .fold(0.0, f64::max);
    let across = label_point((0.0, 0.0), (1.0, 0.0)).0;
    let sp = Spacing {
        column_gap: ((widest / 2.0 + 8.0) / (1.0 - across)).max(56.0),
        row_gap: 26.0,
        margin: 20.0,
    };
    let l = layout(g, &sizes, sp);
    draw(g, &l)
}

fn draw(g: &Graph, l: &Layout) -> String {
    let (title, at) = g.heading();
    let legend =
        "value: v_i    adjoint: v̄_i = ∂f/∂v_i (one reverse sweep)    on each edge u → v_i: ∂v_i/∂u";
    let text_w = [&title, &at, legend]
        .iter()
        .map(|t| text_width(t) + 40.0)
        .fold(0.0, f64::max);
    let graph_w = l.width + OUT_ARROW;
    let width = graph_w.max(text_w).ceil();
    let height = (l.height + HEADER + FOOTER).ceil();
    let dx = ((width - graph_w) / 2.0).max(0.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FAMILY}" font-size="{FONT}">"#
    );
    let _ = writeln!(
        s,
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r##"<text x="20" y="24" font-weight="bold" fill="#222">{}</text>"##,
        tspans(&title)
    );
    let _ = writeln!(
        s,
        r##"<text x="20" y="42" fill="#555">{}</text>"##,
        tspans(&at)
    );
    let _ = writeln!(s, r#"<g transform="translate({dx:.1},{HEADER})">"#);
    for r in &l.routes {
        let _ = writeln!(
            s,
            r##"<path d="{}" fill="none" stroke="#555" stroke-width="1.3" marker-end="url(#arrow)"/>"##,
            path(r)
        );
    }
    // Labels after all edges, so that no edge is drawn over one. Each sits on
    // its edge's last step, on a white box that hides the lines behind it.
    for (e, r) in l.routes.iter().enumerate() {
        let (x, y) = label_point(r[r.len() - 2], r[r.len() - 1]);
        let label = edge_label(g, e);
        let w = label_width(&label) + 4.0;
        let _ = writeln!(
            s,
            r##"<rect class="partial" x="{:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="white" fill-opacity="0.85"/><text class="partial" x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="{EDGE_FONT}" fill="#6a1b9a">{}</text>"##,
            x - w / 2.0,
            y - EDGE_FONT * 0.6,
            EDGE_FONT * 1.2,
            y + EDGE_FONT * 0.35,
            escape(&label)
        );
    }
    for (i, b) in l.boxes.iter().enumerate() {
        let (fill, stroke) = colours(g.nodes[i].role);
        let [t, v, a] = lines(g, i);
        let _ = write!(
            s,
            r#"<g><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
            b.x, b.y, b.w, b.h
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="bold" fill="#1a1a1a">{}</text>"##,
            b.x + b.w / 2.0,
            b.y + 19.0,
            tspans(&t)
        );
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{stroke}" stroke-opacity="0.4"/>"#,
            b.x + 6.0,
            b.y + 27.0,
            b.x + b.w - 6.0,
            b.y + 27.0
        );
        for (k, (label, number, colour)) in [("value", v, "#1f4e99"), ("adjoint", a, "#b03a2e")]
            .into_iter()
            .enumerate()
        {
            let y = b.y + 27.0 + (k + 1) as f64 * LINE;
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{y:.1}" fill="#777">{label}</text><text x="{:.1}" y="{y:.1}" fill="{colour}">{}</text>"##,
                b.x + PAD,
                b.x + PAD + LABEL_CHARS * ADVANCE * FONT,
                escape(&number)
            );
        }
        s.push_str("</g>\n");
        if i == g.output {
            let (x, y) = (b.x + b.w, b.y + b.h / 2.0);
            let _ = writeln!(
                s,
                r##"<path d="M{x:.1},{y:.1} L{:.1},{y:.1}" stroke="#e65100" stroke-width="1.5" marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" font-weight="bold" font-size="16" fill="#e65100">f</text>"##,
                x + OUT_ARROW - 10.0,
                x + OUT_ARROW - 4.0,
                y + 5.0
            );
        }
    }
    let _ = writeln!(s, "</g>");
    let _ = writeln!(
        s,
        r##"<text x="20" y="{:.1}" fill="#555">{}</text>"##,
        height - 14.0,
        tspans(legend)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::example;

    #[test]
    fn subscripts_are_found() {
        let r = |s: &str, k: Shift| (s.to_string(), k);
        assert_eq!(
            runs("v_-1 = x1"),
            [
                r("v", Shift::Base),
                r("−1", Shift::Sub),
                r(" = x1", Shift::Base)
            ]
        );
        assert_eq!(runs("a_1 v̄_2")[1], r("2", Shift::Sub));
        assert_eq!(runs("v_i at")[1], r("i", Shift::Sub));
        assert_eq!(
            runs("v_1^2"),
            [r("v", Shift::Base), r("1", Shift::Sub), r("2", Shift::Sup)]
        );
        assert_eq!(runs("x^y").len(), 1);
        assert_eq!(text_width("ab"), 2.0 * ADVANCE * FONT);
    }

    #[test]
    fn example_svg_is_well_formed() {
        let svg = render(&example());
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 8);
        assert_eq!(
            svg.matches(r##"stroke="#555" stroke-width="1.3""##).count(),
            9
        );
        assert!(svg.contains(">1.5436482110</text>"));
        assert_eq!(svg.matches(r#"<text class="partial""#).count(), 9);
        assert_eq!(svg.matches(r#"<rect class="partial""#).count(), 9);
        assert!(
            svg.contains(r##"fill="#6a1b9a">0.7316888689</text>"##),
            "{svg}"
        );
    }
}
