//! `einsum`: Einstein summation over letter-labelled axes, a composite. The spec is parsed and
//! checked (letters only, one term per operand, one size per letter), repeated letters within an
//! operand take a diagonal (a flat `index_select`), letters no longer needed are summed, and the
//! operands are contracted left to right, two at a time, as one batched `matmul` each.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};

/// One term of the spec: its letters and the column (1-based, in the spec) of each.
#[derive(Clone)]
struct Term {
    letters: Vec<char>,
    cols: Vec<usize>,
}

fn usage(spec: &str, msg: String) -> Error {
    Error::usage("einsum", format!("spec \"{spec}\": {msg}"))
}

/// The input terms and the output letters of `spec`, checked against the operands' ranks and
/// sizes.
fn parse(spec: &str, ops: &[&Tensor]) -> Result<(Vec<Term>, Vec<char>)> {
    let mut terms = vec![Term {
        letters: Vec::new(),
        cols: Vec::new(),
    }];
    let mut output: Option<Term> = None;
    let chars: Vec<char> = spec.chars().collect();
    let mut k = 0;
    while k < chars.len() {
        let (c, col) = (chars[k], k + 1);
        match c {
            c if c.is_ascii_alphabetic() => {
                let cur = match output.as_mut() {
                    Some(o) => o,
                    None => terms.last_mut().expect("there is always a current term"),
                };
                cur.letters.push(c);
                cur.cols.push(col);
            }
            ' ' => {}
            ',' if output.is_none() => terms.push(Term {
                letters: Vec::new(),
                cols: Vec::new(),
            }),
            '-' if output.is_none() && chars.get(k + 1) == Some(&'>') => {
                output = Some(Term {
                    letters: Vec::new(),
                    cols: Vec::new(),
                });
                k += 1;
            }
            '.' => {
                return Err(usage(
                    spec,
                    format!("column {col}: ellipses ('...') are not supported; name every axis"),
                ))
            }
            c => {
                return Err(usage(
                    spec,
                    format!("column {col}: unexpected '{c}' (letters, ',' and one '->' only)"),
                ))
            }
        }
        k += 1;
    }
    if terms.len() != ops.len() {
        return Err(usage(
            spec,
            format!("{} terms for {} operands", terms.len(), ops.len()),
        ));
    }
    let mut size: Vec<(char, usize, usize)> = Vec::new(); // (letter, size, column)
    for (n, (t, x)) in terms.iter().zip(ops).enumerate() {
        if t.letters.len() != x.rank() {
            let col = t.cols.first().copied().unwrap_or(1);
            return Err(usage(
                spec,
                format!(
                    "column {col}: operand {n} has shape {} ({} axes) but its term names {}",
                    x.shape(),
                    x.rank(),
                    t.letters.len()
                ),
            ));
        }
        for (a, (&c, &col)) in t.letters.iter().zip(&t.cols).enumerate() {
            let d = x.dims()[a];
            match size.iter().find(|s| s.0 == c) {
                Some(&(_, s, at)) if s != d => {
                    return Err(Error::shape(
                        "einsum",
                        format!(
                            "spec \"{spec}\": column {col}: '{c}' is {d} (axis {a} of operand \
                             {n}, shape {}) but {s} at column {at}",
                            x.shape()
                        ),
                    ))
                }
                Some(_) => {}
                None => size.push((c, d, col)),
            }
        }
    }
    let out = match output {
        Some(o) => {
            for (i, (&c, &col)) in o.letters.iter().zip(&o.cols).enumerate() {
                if o.letters[..i].contains(&c) {
                    return Err(usage(
                        spec,
                        format!("column {col}: '{c}' appears twice in the output"),
                    ));
                }
                if !size.iter().any(|s| s.0 == c) {
                    return Err(usage(
                        spec,
                        format!("column {col}: output letter '{c}' names no input axis"),
                    ));
                }
            }
            o.letters
        }
        // NumPy's implicit output: the letters used exactly once, in alphabetical order.
        None => {
            let mut once: Vec<char> = size
                .iter()
                .map(|s| s.0)
                .filter(|&c| {
                    terms
                        .iter()
                        .flat_map(|t| &t.letters)
                        .filter(|&&l| l == c)
                        .count()
                        == 1
                })
                .collect();
            once.sort_unstable();
            once
        }
    };
    Ok((terms, out))
}

/// `x` (labelled `t`) with each repeated letter reduced to its diagonal.
fn diagonals(mut x: Tensor, mut t: Vec<char>) -> Result<(Tensor, Vec<char>)> {
    while let Some((p, q)) = (0..t.len())
        .flat_map(|p| (p + 1..t.len()).map(move |q| (p, q)))
        .find(|&(p, q)| t[p] == t[q])
    {
        let c = t[p];
        let n = x.dims()[p];
        let mut perm: Vec<isize> = (0..t.len() as isize)
            .filter(|&a| a != p as isize && a != q as isize)
            .collect();
        perm.extend([p as isize, q as isize]);
        let moved = x.try_permute(&perm)?;
        let mut dims: Vec<usize> = moved.dims()[..t.len() - 2].to_vec();
        dims.push(n * n);
        let diag: Vec<i64> = (0..n as i64).map(|i| i * (n as i64 + 1)).collect();
        let diag = Tensor::from_vec(diag, &[n]);
        x = moved.try_reshape(&dims)?.try_index_select(-1, &diag)?;
        t = perm[..perm.len() - 2]
            .iter()
            .map(|&a| t[a as usize])
            .collect();
        t.push(c);
    }
    Ok((x, t))
}

/// `x` (labelled `t`) summed over the letters not in `keep`.
fn sum_out(x: Tensor, t: Vec<char>, keep: &[char]) -> Result<(Tensor, Vec<char>)> {
    let axes: Vec<isize> = (0..t.len())
        .filter(|&a| !keep.contains(&t[a]))
        .map(|a| a as isize)
        .collect();
    if axes.is_empty() {
        return Ok((x, t));
    }
    let t = t.into_iter().filter(|c| keep.contains(c)).collect();
    Ok((x.try_sum_axes(&axes, false)?, t))
}

/// `x` (labelled `t`) permuted to `[first.., second.., third..]` and reshaped to three axes.
fn to_3d(x: &Tensor, t: &[char], groups: [&[char]; 3]) -> Result<Tensor> {
    let mut perm = Vec::new();
    let mut dims = Vec::new();
    for g in groups {
        let mut n = 1;
        for c in g {
            let a = t
                .iter()
                .position(|l| l == c)
                .expect("a grouped letter is in the term");
            perm.push(a as isize);
            n *= x.dims()[a];
        }
        dims.push(n);
    }
    x.try_permute(&perm)?.try_reshape(&dims)
}

/// `a · b` summed over the letters they share that `keep` does not name, as one batched matmul.
fn contract(
    (a, ta): (Tensor, Vec<char>),
    (b, tb): (Tensor, Vec<char>),
    keep: &[char],
) -> Result<(Tensor, Vec<char>)> {
    // Letters of one side only that nothing later needs are summed first.
    let keep_a: Vec<char> = keep.iter().chain(&tb).copied().collect();
    let keep_b: Vec<char> = keep.iter().chain(&ta).copied().collect();
    let (a, ta) = sum_out(a, ta, &keep_a)?;
    let (b, tb) = sum_out(b, tb, &keep_b)?;
    let batch: Vec<char> = ta
        .iter()
        .filter(|c| tb.contains(c) && keep.contains(c))
        .copied()
        .collect();
    let summed: Vec<char> = ta
        .iter()
        .filter(|c| tb.contains(c) && !keep.contains(c))
        .copied()
        .collect();
    let left: Vec<char> = ta.iter().filter(|c| !tb.contains(c)).copied().collect();
    let right: Vec<char> = tb.iter().filter(|c| !ta.contains(c)).copied().collect();
    let a3 = to_3d(&a, &ta, [&batch[..], &left[..], &summed[..]])?;
    let b3 = to_3d(&b, &tb, [&batch[..], &summed[..], &right[..]])?;
    let size = |c: &char| match ta.iter().position(|l| l == c) {
        Some(i) => a.dims()[i],
        None => b.dims()[tb.iter().position(|l| l == c).expect("in one of the terms")],
    };
    let t: Vec<char> = batch.iter().chain(&left).chain(&right).copied().collect();
    let dims: Vec<usize> = t.iter().map(size).collect();
    Ok((a3.try_matmul(&b3)?.try_reshape(&dims)?, t))
}

fn einsum_inner(spec: &str, ops: &[&Tensor]) -> Result<Tensor> {
    let (terms, out) = parse(spec, ops)?;
    let mut acc: Option<(Tensor, Vec<char>)> = None;
    for (n, (t, x)) in terms.iter().zip(ops).enumerate() {
        let cur = diagonals((*x).clone(), t.letters.clone())?;
        // What later operands or the output still need.
        let keep: Vec<char> = terms[n + 1..]
            .iter()
            .flat_map(|t| t.letters.iter().copied())
            .chain(out.iter().copied())
            .collect();
        acc = Some(match acc {
            None => sum_out(cur.0, cur.1, &keep)?,
            Some(prev) => contract(prev, cur, &keep)?,
        });
    }
    let (x, t) = acc.ok_or_else(|| usage(spec, "no operands".into()))?;
    let (x, t) = sum_out(x, t, &out)?;
    let perm: Vec<isize> = out
        .iter()
        .map(|c| {
            t.iter()
                .position(|l| l == c)
                .expect("output letters survive") as isize
        })
        .collect();
    if perm.iter().enumerate().all(|(i, &a)| a == i as isize) {
        return Ok(x);
    }
    x.try_permute(&perm)
}

/// Einstein summation: `spec` labels each operand's axes with letters (`"ij,jk->ik"`); letters
/// missing from the output are summed over, a letter repeated within one operand takes its
/// diagonal (`"ii->i"`). Without `->` the output is NumPy's: the letters used exactly once, in
/// alphabetical order. Two operands contract as one batched `matmul`; more contract left to
/// right. Differentiable in every operand. Errors name the spec and the column at fault
/// (ellipses `...` are not supported).
///
/// ```
/// use cotangent::{einsum, Tensor};
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]);
/// assert_eq!(einsum("ij,jk->ik", &[&a, &b]).to_vec::<f64>(), vec![19.0, 22.0, 43.0, 50.0]);
/// assert_eq!(einsum("ii", &[&a]).item::<f64>(), 5.0); // the trace
/// assert_eq!(einsum("ji", &[&a]).to_vec::<f64>(), vec![1.0, 3.0, 2.0, 4.0]); // implicit: "ij"
/// let err = cotangent::try_einsum("ij,jk->ik", &[&a, &Tensor::zeros(&[3, 2], a.dtype())]);
/// assert!(err.unwrap_err().to_string().contains("column 4"));
/// ```
#[track_caller]
pub fn try_einsum(spec: &str, operands: &[&Tensor]) -> Result<Tensor> {
    let loc = Location::caller();
    einsum_inner(spec, operands).map_err(|e| e.at(loc))
}

/// Einstein summation; see [`try_einsum`].
#[track_caller]
pub fn einsum(spec: &str, operands: &[&Tensor]) -> Tensor {
    match try_einsum(spec, operands) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}
