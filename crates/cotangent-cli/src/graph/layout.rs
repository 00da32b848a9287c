//! A layered (Sugiyama-style) left-to-right layout for small computational
//! graphs.
//!
//! 1. Layers: inputs in column 0, every other node one column right of its
//!    rightmost operand.
//! 2. Edges spanning several columns get a dummy vertex in each column they
//!    cross, so they are routed around boxes, not through them.
//! 3. Within each column, vertices are ordered by the barycentre of their
//!    neighbours, sweeping right and left, keeping the order with the fewest
//!    crossings.
//! 4. Vertical positions minimise the squared distance to the neighbours'
//!    average while keeping the order and a minimum gap (isotonic regression
//!    by pool-adjacent-violators), for a few alternating sweeps.
//!
//! Large graphs skip the dummies and the crossing reduction so that the
//! layout stays linear; the result is a plain but valid picture.

use super::Graph;

/// A rectangle: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Distances used by [`layout`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spacing {
    /// Horizontal gap between columns.
    pub column_gap: f64,
    /// Vertical gap between boxes in a column.
    pub row_gap: f64,
    /// Room kept around the drawing.
    pub margin: f64,
}

/// Where everything goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// One box per graph node.
    pub boxes: Vec<Rect>,
    /// One polyline per graph edge, from the operand's right side to the
    /// user's left side; consecutive points are joined by curves with
    /// horizontal tangents.
    pub routes: Vec<Vec<(f64, f64)>>,
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
}

/// Above this many dummy vertices, long edges are drawn directly.
const MAX_DUMMIES: usize = 2_000;

/// Above this many vertices, the crossing reduction is skipped.
const MAX_ORDERED: usize = 2_000;

/// A vertex of the layered graph: a real node or a dummy on a long edge.
struct Vertices {
    layer: Vec<usize>,
    height: Vec<f64>,
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
    /// For each graph edge, the vertices it passes through, ends included.
    chains: Vec<Vec<usize>>,
}

fn layers(g: &Graph) -> Vec<usize> {
    let mut layer = vec![0usize; g.nodes.len()];
    for (b, ins) in g.inputs().iter().enumerate() {
        layer[b] = ins.iter().map(|&a| layer[a] + 1).max().unwrap_or(0);
    }
    layer
}

fn vertices(g: &Graph, sizes: &[(f64, f64)]) -> Vertices {
    let layer = layers(g);
    let dummies: usize = g.edges.iter().map(|&(a, b)| layer[b] - layer[a] - 1).sum();
    let split = dummies <= MAX_DUMMIES;
    let mut v = Vertices {
        layer: layer.clone(),
        height: sizes.iter().map(|s| s.1).collect(),
        preds: vec![Vec::new(); g.nodes.len()],
        succs: vec![Vec::new(); g.nodes.len()],
        chains: Vec::with_capacity(g.edges.len()),
    };
    for &(a, b) in &g.edges {
        let mut chain = vec![a];
        if split {
            for l in layer[a] + 1..layer[b] {
                v.layer.push(l);
                v.height.push(8.0);
                v.preds.push(Vec::new());
                v.succs.push(Vec::new());
                chain.push(v.layer.len() - 1);
            }
        }
        chain.push(b);
        for w in chain.windows(2) {
            v.succs[w[0]].push(w[1]);
            v.preds[w[1]].push(w[0]);
        }
        v.chains.push(chain);
    }
    v
}

/// Crossings between two adjacent columns with the given positions.
fn crossings(v: &Vertices, upper: &[usize], pos: &[usize]) -> usize {
    let edges: Vec<(usize, usize)> = upper
        .iter()
        .flat_map(|&a| v.succs[a].iter().map(move |&b| (pos[a], pos[b])))
        .collect();
    let mut count = 0;
    for (i, e) in edges.iter().enumerate() {
        for f in &edges[i + 1..] {
            if (e.0 < f.0 && e.1 > f.1) || (e.0 > f.0 && e.1 < f.1) {
                count += 1;
            }
        }
    }
    count
}

fn total_crossings(v: &Vertices, cols: &[Vec<usize>], pos: &[usize]) -> usize {
    cols.iter().map(|c| crossings(v, c, pos)).sum()
}

/// Orders each column to reduce crossings (barycentre heuristic).
fn order(v: &Vertices) -> Vec<Vec<usize>> {
    let depth = v.layer.iter().max().map_or(0, |m| m + 1);
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (i, &l) in v.layer.iter().enumerate() {
        cols[l].push(i);
    }
    if v.layer.len() > MAX_ORDERED {
        return cols;
    }
    let mut pos = vec![0usize; v.layer.len()];
    let index = |cols: &[Vec<usize>], pos: &mut Vec<usize>| {
        for c in cols {
            for (p, &i) in c.iter().enumerate() {
                pos[i] = p;
            }
        }
    };
    index(&cols, &mut pos);
    let mut best = (total_crossings(v, &cols, &pos), cols.clone());
    for round in 0..12 {
        let down = round % 2 == 0;
        let range: Vec<usize> = if down {
            (1..depth).collect()
        } else {
            (0..depth.saturating_sub(1)).rev().collect()
        };
        for l in range {
            let key = |i: usize| {
                let n = if down { &v.preds[i] } else { &v.succs[i] };
                if n.is_empty() {
                    pos[i] as f64
                } else {
                    n.iter().map(|&j| pos[j] as f64).sum::<f64>() / n.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = cols[l].iter().map(|&i| (key(i), i)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            cols[l] = keyed.into_iter().map(|(_, i)| i).collect();
            for (p, &i) in cols[l].iter().enumerate() {
                pos[i] = p;
            }
        }
        let c = total_crossings(v, &cols, &pos);
        if c < best.0 {
            best = (c, cols.clone());
        }
    }
    best.1
}

/// Positions `y` (top edges) as close as possible to `want`, in the given
/// order, with `y[k+1] ≥ y[k] + sep[k]`: isotonic regression on
/// `want[k] − offset[k]` by pool-adjacent-violators.
fn place(want: &[f64], sep: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; want.len()];
    for k in 1..want.len() {
        offset[k] = offset[k - 1] + sep[k - 1];
    }
    // Blocks of (sum, count), merged while their means decrease.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for k in 0..want.len() {
        blocks.push((want[k] - offset[k], 1));
        while blocks.len() > 1 {
            let (s2, n2) = blocks[blocks.len() - 1];
            let (s1, n1) = blocks[blocks.len() - 2];
            if s1 / n1 as f64 <= s2 / n2 as f64 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (s1 + s2, n1 + n2);
        }
    }
    let mut out = Vec::with_capacity(want.len());
    for (s, n) in blocks {
        for _ in 0..n {
            out.push(s / n as f64 + offset[out.len()]);
        }
    }
    out
}

/// Lays out `g` with box sizes `sizes` (width, height) per node.
pub fn layout(g: &Graph, sizes: &[(f64, f64)], sp: Spacing) -> Layout {
    let v = vertices(g, sizes);
    let cols = order(&v);
    let n = v.layer.len();
    // Vertical: start stacked, then pull towards neighbours.
    let mut top = vec![0.0f64; n];
    for c in &cols {
        let mut y = 0.0;
        for &i in c {
            top[i] = y;
            y += v.height[i] + sp.row_gap;
        }
    }
    let centre = |top: &[f64], i: usize| top[i] + v.height[i] / 2.0;
    for round in 0..10 {
        let range: Vec<usize> = if round % 2 == 0 {
            (0..cols.len()).collect()
        } else {
            (0..cols.len()).rev().collect()
        };
        for l in range {
            let c = &cols[l];
            let want: Vec<f64> = c
                .iter()
                .map(|&i| {
                    let nb: Vec<usize> = v.preds[i].iter().chain(&v.succs[i]).copied().collect();
                    if nb.is_empty() {
                        top[i]
                    } else {
                        let m = nb.iter().map(|&j| centre(&top, j)).sum::<f64>() / nb.len() as f64;
                        m - v.height[i] / 2.0
                    }
                })
                .collect();
            let sep: Vec<f64> = c.windows(2).map(|w| v.height[w[0]] + sp.row_gap).collect();
            for (&i, y) in c.iter().zip(place(&want, &sep)) {
                top[i] = y;
            }
        }
    }
    let min_top = top.iter().copied().fold(f64::INFINITY, f64::min);
    let max_bottom = (0..n)
        .map(|i| top[i] + v.height[i])
        .fold(f64::NEG_INFINITY, f64::max);
    for y in &mut top {
        *y += sp.margin - min_top;
    }
    // Horizontal: one column per layer, as wide as its widest box.
    let mut col_w = vec![40.0f64; cols.len()];
    for (i, s) in sizes.iter().enumerate() {
        col_w[v.layer[i]] = col_w[v.layer[i]].max(s.0);
    }
    let mut col_x = vec![sp.margin; cols.len()];
    for l in 1..cols.len() {
        col_x[l] = col_x[l - 1] + col_w[l - 1] + sp.column_gap;
    }
    let boxes: Vec<Rect> = (0..g.nodes.len())
        .map(|i| {
            let l = v.layer[i];
            Rect {
                x: col_x[l] + (col_w[l] - sizes[i].0) / 2.0,
                y: top[i],
                w: sizes[i].0,
                h: sizes[i].1,
            }
        })
        .collect();
    let routes = routes(g, &v, &boxes, &top, &col_x, &col_w);
    let width =
        col_x.last().copied().unwrap_or(0.0) + col_w.last().copied().unwrap_or(0.0) + sp.margin;
    let height = max_bottom - min_top + 2.0 * sp.margin;
    Layout {
        boxes,
        routes,
        width,
        height,
    }
}

/// Offsets spreading `count` edge ends along a side of height `h`.
fn ports(count: usize, h: f64) -> Vec<f64> {
    let step = if count > 1 {
        (h * 0.6 / (count - 1) as f64).min(12.0)
    } else {
        0.0
    };
    (0..count)
        .map(|k| (k as f64 - (count - 1) as f64 / 2.0) * step)
        .collect()
}

fn routes(
    g: &Graph,
    v: &Vertices,
    boxes: &[Rect],
    top: &[f64],
    col_x: &[f64],
    col_w: &[f64],
) -> Vec<Vec<(f64, f64)>> {
    let y_of = |i: usize| top[i] + v.height[i] / 2.0;
    // Edge ends on each side, sorted by where the edge comes from or goes.
    let mut out_end = vec![0.0; g.edges.len()];
    let mut in_end = vec![0.0; g.edges.len()];
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    let mut ins: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    for (e, &(a, b)) in g.edges.iter().enumerate() {
        outs[a].push(e);
        ins[b].push(e);
    }
    for (i, list) in outs.iter_mut().enumerate() {
        list.sort_by(|&e, &f| y_of(v.chains[e][1]).total_cmp(&y_of(v.chains[f][1])));
        for (&e, off) in list.iter().zip(ports(list.len(), boxes[i].h)) {
            out_end[e] = off;
        }
    }
    for (i, list) in ins.iter_mut().enumerate() {
        let before = |e: usize| y_of(v.chains[e][v.chains[e].len() - 2]);
        list.sort_by(|&e, &f| before(e).total_cmp(&before(f)));
        for (&e, off) in list.iter().zip(ports(list.len(), boxes[i].h)) {
            in_end[e] = off;
        }
    }
    g.edges
        .iter()
        .enumerate()
        .map(|(e, &(a, b))| {
            let (ra, rb) = (boxes[a], boxes[b]);
            let mut pts = vec![(ra.x + ra.w, ra.y + ra.h / 2.0 + out_end[e])];
            for &d in &v.chains[e][1..v.chains[e].len() - 1] {
                let l = v.layer[d];
                pts.push((col_x[l], y_of(d)));
                pts.push((col_x[l] + col_w[l], y_of(d)));
            }
            pts.push((rb.x, rb.y + rb.h / 2.0 + in_end[e]));
            pts
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::example;

    #[test]
    fn isotonic_placement_keeps_order_and_gaps() {
        assert_eq!(place(&[0.0, 0.0], &[10.0]), [-5.0, 5.0]);
        assert_eq!(place(&[0.0, 50.0], &[10.0]), [0.0, 50.0]);
        assert_eq!(
            place(&[30.0, 0.0, 100.0], &[10.0, 10.0]),
            [10.0, 20.0, 100.0]
        );
    }

    #[test]
    fn example_layout_has_no_overlaps_and_edges_go_right() {
        let g = example();
        let sizes = vec![(100.0, 50.0); g.nodes.len()];
        let sp = Spacing {
            column_gap: 40.0,
            row_gap: 20.0,
            margin: 10.0,
        };
        let l = layout(&g, &sizes, sp);
        for (i, a) in l.boxes.iter().enumerate() {
            for b in &l.boxes[i + 1..] {
                let apart =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
            assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= l.width && a.y + a.h <= l.height);
        }
        for r in &l.routes {
            assert!(r.windows(2).all(|w| w[0].0 <= w[1].0));
        }
        // Inputs in the first column, the output in the last (column 4).
        assert_eq!(l.boxes[0].x, l.boxes[1].x);
        assert_eq!(l.boxes[7].x, 10.0 + 4.0 * 140.0);
    }
}
