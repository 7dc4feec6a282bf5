//! Writing a [`Corpus`] as Rust source: the items, and the glue the harness of the
//! `ad-generated` crate (`tests/generated`) runs.

use crate::types::Ty;
use crate::{Corpus, FnDef, Param, Receiver, StructDef};
use std::fmt::Write;

/// The imports every generated file starts with: the prelude, and every nalgebra name the
/// generator may spell (through `ad::nalgebra`, so that `ad` is the only dependency).
pub fn prelude() -> String {
    let mut names = vec![
        "SMatrix".to_string(),
        "SVector".into(),
        "RowSVector".into(),
        "DVector".into(),
        "DMatrix".into(),
    ];
    for n in 1..=6 {
        names.push(format!("Vector{n}"));
        names.push(format!("RowVector{n}"));
        names.push(format!("Matrix{n}"));
        for m in 1..=6 {
            if m != n {
                names.push(format!("Matrix{n}x{m}"));
            }
        }
    }
    format!(
        "use ad::prelude::*;\n#[allow(unused_imports)]\nuse ad::nalgebra::{{{}}};\n",
        names.join(", ")
    )
}

/// The source of a struct: the definition with `#[derive(Differentiable)]`.
pub fn struct_source(d: &StructDef, structs: &[StructDef]) -> String {
    let fields: Vec<String> = d
        .fields
        .iter()
        .map(|(n, t)| format!("    pub {n}: {},", t.canonical(structs)))
        .chain(d.constant.then(|| {
            format!(
                "    #[no_derivative]\n    pub {}: f64,",
                crate::CONSTANT_FIELD
            )
        }))
        .collect();
    format!(
        "#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]\npub struct {} {{\n{}\n}}\n",
        d.name,
        fields.join("\n")
    )
}

/// The `Flat` impls of a struct and of its tangent, for the harness.
fn struct_flat(d: &StructDef) -> String {
    let mut s = String::new();
    for name in [d.name.clone(), format!("{}Tangent", d.name)] {
        let fl: Vec<String> = d
            .fields
            .iter()
            .map(|(f, _)| format!("        self.{f}.flatten(out);"))
            .collect();
        let mut un: Vec<String> = d
            .fields
            .iter()
            .map(|(f, _)| format!("{f}: Flat::unflatten(&like.{f}, it)"))
            .collect();
        // The value keeps its `#[no_derivative]` field (not a number the harness varies);
        // the tangent has no such field.
        if d.constant && name == d.name {
            un.push(format!("{f}: like.{f}", f = crate::CONSTANT_FIELD));
        }
        let _ = writeln!(
            s,
            "impl Flat for {name} {{\n    fn flatten(&self, out: &mut Vec<f64>) {{\n{}\n    }}\n    fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {{\n        {name} {{ {} }}\n    }}\n}}",
            fl.join("\n"),
            un.join(", ")
        );
    }
    s
}

/// A self-contained file with function `f` of the corpus, everything it calls and the
/// structs they use: what a reproducer starts from.
pub fn standalone(corpus: &Corpus, f: usize) -> String {
    let fns = corpus.closure_of(f);
    let mut structs = std::collections::BTreeSet::new();
    for &g in &fns {
        structs.extend(corpus.funcs[g].structs_used.iter().copied());
    }
    let mut s = prelude();
    s.push('\n');
    for st in structs {
        s.push_str(&struct_source(&corpus.structs[st], &corpus.structs));
        s.push('\n');
    }
    for g in fns {
        s.push_str(&corpus.funcs[g].source);
        s.push('\n');
    }
    s
}

/// The zero tangent of `ty`, as an expression.
fn tangent_zero(ty: &Ty, structs: &[StructDef]) -> String {
    match ty {
        Ty::Struct(s) => {
            let d = &structs[*s];
            let fields: Vec<String> = d
                .fields
                .iter()
                .map(|(n, t)| format!("{n}: {}", t.zero_expr(structs)))
                .collect();
            format!("{}Tangent {{ {} }}", d.name, fields.join(", "))
        }
        Ty::Tuple(ts) => {
            let inner: Vec<String> = ts.iter().map(|t| tangent_zero(t, structs)).collect();
            format!("({},)", inner.join(", "))
        }
        Ty::Structs(s, k) => {
            let one = tangent_zero(&Ty::Struct(*s), structs);
            format!("[{}]", vec![one; *k].join(", "))
        }
        other => other.zero_expr(structs),
    }
}

/// The differentiated inputs of `f` in order (`self` first), with how they are passed.
fn inputs(f: &FnDef) -> Vec<(Ty, bool, bool)> {
    // (type, by reference, is self)
    let mut v = Vec::new();
    if let Some(s) = f.owner
        && f.receiver != Receiver::None
    {
        v.push((Ty::Struct(s), f.receiver == Receiver::Ref, true));
    }
    for p in &f.params {
        if let Param::Diff { ty, by_ref, .. } = p {
            v.push((ty.clone(), *by_ref, false));
        }
    }
    v
}

/// The glue of function `i`: a `fn case_i() -> Case`.
fn case_glue(corpus: &Corpus, i: usize) -> String {
    let f = &corpus.funcs[i];
    let st = &corpus.structs;
    let ins = inputs(f);
    let dim: usize = ins.iter().map(|(t, _, _)| t.scalars(st)).sum();
    let ints: Vec<usize> = f
        .params
        .iter()
        .filter_map(|p| match p {
            Param::Int { max, .. } => Some(*max),
            _ => None,
        })
        .collect();
    let mut s = String::new();
    let _ = writeln!(s, "fn case_{i}() -> Case {{");
    // Readers of the inputs and of their tangents.
    let tys: Vec<String> = ins.iter().map(|(t, _, _)| t.canonical(st)).collect();
    let ttys: Vec<String> = ins.iter().map(|(t, _, _)| t.tangent(st)).collect();
    let zs: Vec<String> = ins
        .iter()
        .map(|(t, _, _)| format!("Flat::unflatten(&{}, &mut it)", t.zero_expr(st)))
        .collect();
    let tzs: Vec<String> = ins
        .iter()
        .map(|(t, _, _)| format!("Flat::unflatten(&{}, &mut it)", tangent_zero(t, st)))
        .collect();
    let _ = writeln!(
        s,
        "    fn args(x: &[f64]) -> ({},) {{\n        let mut it = x.iter().copied();\n        ({},)\n    }}",
        tys.join(", "),
        zs.join(", ")
    );
    let _ = writeln!(
        s,
        "    fn targs(x: &[f64]) -> ({},) {{\n        let mut it = x.iter().copied();\n        ({},)\n    }}",
        ttys.join(", "),
        tzs.join(", ")
    );
    // The argument lists.
    let mut prim = Vec::new();
    let mut k = 0;
    let mut d = usize::from(ins.first().is_some_and(|x| x.2));
    for p in &f.params {
        match p {
            Param::Diff { ty, by_ref, .. } => {
                let a = if *by_ref {
                    format!("&a.{d}")
                } else if ty.is_dynamic() {
                    format!("a.{d}.clone()")
                } else {
                    format!("a.{d}")
                };
                prim.push(a);
                d += 1;
            }
            Param::Int { .. } => {
                prim.push(format!("k[{k}]"));
                k += 1;
            }
        }
    }
    // The tangent arguments read from the tuple `name` (of `targs`).
    let tangents_of = |name: &str| -> Vec<String> {
        ins.iter()
            .enumerate()
            .map(|(j, (ty, by_ref, _))| {
                if *by_ref {
                    format!("&{name}.{j}")
                } else if ty.is_dynamic() {
                    format!("{name}.{j}.clone()")
                } else {
                    format!("{name}.{j}")
                }
            })
            .collect()
    };
    let tang = tangents_of("t");
    let call = |suffix: &str, extra: &[String]| -> String {
        let mut all = prim.clone();
        all.extend(extra.iter().cloned());
        if f.owner.is_some() && f.receiver != Receiver::None {
            format!("a.0.{}{suffix}({})", f.name, all.join(", "))
        } else {
            format!("{}{suffix}({})", f.name, all.join(", "))
        }
    };
    let ytan = f.ret.tangent(st);
    let _ = writeln!(s, "    Case {{");
    let _ = writeln!(s, "        name: \"{}\",", f.name);
    let _ = writeln!(s, "        index: {i},");
    let _ = writeln!(s, "        dim: {dim},");
    let _ = writeln!(s, "        ints: &{ints:?},");
    let _ = writeln!(s, "        source: SOURCES[{i}],");
    let _ = writeln!(
        s,
        "        primal: |x, k| {{\n            let a = args(x);\n            flat(&{})\n        }},",
        call("", &[])
    );
    let _ = writeln!(
        s,
        "        jvp: |x, k, dx| {{\n            let a = args(x);\n            let t = targs(dx);\n            let (y, dy) = {};\n            (flat(&y), flat(&dy))\n        }},",
        call("_jvp", &tang)
    );
    let _ = writeln!(
        s,
        "        vjp: |x, k, w| {{\n            let a = args(x);\n            let (y, pb) = {};\n            let w: {ytan} = Flat::unflatten(&{}, &mut w.iter().copied());\n            let g1 = flat(&pb(w.clone()));\n            let g2 = flat(&pb(w));\n            (flat(&y), g1, g2)\n        }},",
        call("_vjp", &[]),
        tangent_zero(&f.ret, st)
    );
    if f.ret == Ty::F64 {
        let _ = writeln!(
            s,
            "        grad: Some(|x, k| {{\n            let a = args(x);\n            let (y, g) = {};\n            (y, flat(&g))\n        }}),",
            call("_grad", &[])
        );
    } else {
        let _ = writeln!(s, "        grad: None,");
    }
    let second = corpus.features.second_order
        && dim > 0
        && (f.callees.is_empty() || corpus.features.order2_everywhere);
    if second {
        let zero = tangent_zero(&f.ret, st);
        let (d, t, td) = (tangents_of("d"), tangents_of("t"), tangents_of("td"));
        let jvp_jvp = call("_jvp_jvp", &[d.clone(), t, td].concat());
        let _ = writeln!(
            s,
            "        second: Some(Second {{
            jvp_jvp: |x, k, d, t, td| {{
                let a = args(x);
                let (d, t, td) = (targs(d), targs(t), targs(td));
                let ((y, dy), (ty, tdy)) = {jvp_jvp};
                [flat(&y), flat(&dy), flat(&ty), flat(&tdy)]
            }},"
        );
        let _ = writeln!(
            s,
            "            vjp_jvp: |x, k, d, g, dg| {{
                let a = args(x);
                let d = targs(d);
                let (y, dy, pbd) = {};
                let g: {ytan} = Flat::unflatten(&{zero}, &mut g.iter().copied());
                let dg: {ytan} = Flat::unflatten(&{zero}, &mut dg.iter().copied());
                let (c, dc) = pbd(g, dg);
                [flat(&y), flat(&dy), flat(&c), flat(&dc)]
            }},",
            call("_vjp_jvp", &d)
        );
        if f.ret == Ty::F64 {
            let _ = writeln!(
                s,
                "            scalar: Some(ScalarSecond {{
                grad_jvp: |x, k, d| {{
                    let a = args(x);
                    let d = targs(d);
                    let ((y, c), (dy, dc)) = {};
                    [vec![y], flat(&c), vec![dy], flat(&dc)]
                }},",
                call("_grad_jvp", &d)
            );
            let _ = writeln!(
                s,
                "                grad_vjp: |x, k, ybar, cbar| {{
                    let a = args(x);
                    let ((y, c), pb) = {};
                    let cbar = Flat::unflatten(&c, &mut cbar.iter().copied());
                    let back = pb((ybar, cbar));
                    [vec![y], flat(&c), flat(&back)]
                }},",
                call("_grad_vjp", &[])
            );
            let _ = writeln!(
                s,
                "                jvp_vjp: |x, k, d, ybar, dybar| {{
                    let a = args(x);
                    let d = targs(d);
                    let ((y, dy), pb) = {};
                    let back = flat(&pb((ybar, dybar)));
                    let n = back.len() / 2;
                    [vec![y], vec![dy], back[..n].to_vec(), back[n..].to_vec()]
                }},
            }}),",
                call("_jvp_vjp", &d)
            );
        } else {
            let _ = writeln!(s, "            scalar: None,");
        }
        let _ = writeln!(s, "        }}),");
    } else {
        let _ = writeln!(s, "        second: None,");
    }
    let _ = writeln!(s, "    }}\n}}");
    s
}

/// Where each function's item and glue are in a generated file: `(first line, last line,
/// function index)`, 1-based, for attributing compile errors.
pub type LineMap = Vec<(usize, usize, usize)>;

fn lines(s: &str) -> usize {
    s.matches('\n').count()
}

/// The whole generated file: items, sources, glue and `cases()`.
///
/// It expects `Case`, `Flat` and `flat` of the harness crate in scope (the includer writes
/// `use ad_generated::{Case, Flat, ScalarSecond, Second, flat};`).
pub fn test_file(corpus: &Corpus) -> String {
    test_file_with_map(corpus).0
}

/// [`test_file`], and where each function is in it.
pub fn test_file_with_map(corpus: &Corpus) -> (String, LineMap) {
    let mut map = Vec::new();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// Generated by ad-testgen: seed {}, {} functions. Do not edit.\n// Features: {:?}\n",
        corpus.seed,
        corpus.funcs.len(),
        corpus.features
    );
    s.push_str(&prelude());
    s.push('\n');
    for d in &corpus.structs {
        s.push_str(&struct_source(d, &corpus.structs));
        s.push_str(&struct_flat(d));
        s.push('\n');
    }
    for (i, f) in corpus.funcs.iter().enumerate() {
        let start = lines(&s) + 1;
        s.push_str(&f.source);
        map.push((start, lines(&s), i));
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "/// The standalone source of each function (structs, callees, the function).\npub static SOURCES: [&str; {}] = [",
        corpus.funcs.len()
    );
    for i in 0..corpus.funcs.len() {
        let _ = writeln!(s, "    {:?},", standalone(corpus, i));
    }
    let _ = writeln!(s, "];\n");
    for i in 0..corpus.funcs.len() {
        let start = lines(&s) + 1;
        s.push_str(&case_glue(corpus, i));
        map.push((start, lines(&s), i));
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "/// Every generated function, in order.\npub fn cases() -> Vec<Case> {{\n    vec!["
    );
    for i in 0..corpus.funcs.len() {
        let _ = writeln!(s, "        case_{i}(),");
    }
    let _ = writeln!(s, "    ]\n}}");
    (s, map)
}

/// The corpus as plain Rust, without `#[differentiable]` (structs derive only `Clone`,
/// `Copy`, `Debug`, `PartialEq`): compiling it checks that the generator wrote type-correct
/// code, whatever the macro does with it. Calls to `_grad`/`_jvp` (feature `nested_diff`)
/// need the macro, so a corpus with them is not plain Rust.
pub fn plain_file(corpus: &Corpus) -> (String, LineMap) {
    let mut map = Vec::new();
    let mut s = format!("#![allow(warnings)]\n{}\n", prelude());
    for d in &corpus.structs {
        s.push_str(
            &struct_source(d, &corpus.structs)
                .replace("Differentiable, ", "")
                .replace("    #[no_derivative]\n", ""),
        );
        s.push('\n');
    }
    for (i, f) in corpus.funcs.iter().enumerate() {
        let start = lines(&s) + 1;
        s.push_str(
            &f.source
                .replace("#[differentiable]\n", "\n")
                .replace("#[differentiable(order = 2)]\n", "\n"),
        );
        map.push((start, lines(&s), i));
        s.push('\n');
    }
    s.push_str("fn main() {}\n");
    (s, map)
}
