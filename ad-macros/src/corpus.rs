//! The corpus run of issue 10: the expansion of `#[differentiable]` applied to every `fn` item
//! of real crates, and `#[derive(Differentiable)]` to every struct, enum and union, asserting
//! that each input yields code or a spanned `compile_error!`, never a panic.
//!
//! The crates are read from the local cargo registry (`$CARGO_HOME/registry/src/*/`, or
//! `~/.cargo/...`) at the versions of the workspace's `Cargo.lock`, all in the graph of the
//! default members, so that the registry of a fresh clone that has built the workspace holds
//! them. The default test runs the subset [`QUICK`] (within the time of a debug `cargo test`),
//! each function with no arguments and one other argument set in turn; the whole [`CORPUS`],
//! with every argument set, is an ignored test (the command checks spans too, see below).
//!
//! For every function the expansion runs with no arguments and with `wrt(<first parameter>)`,
//! `forward`, `reverse`, `order = 2` and `jacobian`. Each output must parse in the function's
//! context (as a file, or as the items of an `impl` or a `trait`); every `compile_error!` in it
//! must have a message in the project's style (non-empty, lowercase first, no trailing period)
//! and, where spans can be told apart, a span of the input rather than `Span::call_site()`.
//!
//! Spans: outside a compiler proc_macro2 uses its fallback spans, which are all alike unless it
//! is built with span locations. Its feature `span-locations`, as a dev-dependency, would make
//! every span (and so `syn::Expr`) larger in the lib too when the tests are built, which trips
//! `clippy::large_enum_variant` in the macro; so the default test cannot check spans, and the
//! full run checks them when proc_macro2 is built with locations, as in the command below. The
//! run probes for locations and prints whether spans were checked. There `Span::call_site()` is
//! the only span without source text, and the arguments are parsed from text, so that an error
//! about an argument has a span of its own too.
//!
//! ```text
//! RUSTFLAGS='--cfg procmacro2_semver_exempt' \
//!     cargo test -p ad-macros --release -- --ignored corpus --nocapture
//! ```

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::visit::{self, Visit};

/// The two entry points under test, in one place so that a move of the macro's modules is one
/// edit here.
fn expand_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    crate::diff::expand(args, item)
}

fn expand_derive(input: &syn::DeriveInput) -> TokenStream {
    crate::derive::expand(input).unwrap_or_else(syn::Error::into_compile_error)
}

/// The crates of the full run: a name and a prefix of its version in `Cargo.lock` (the lock
/// holds two versions of some). Numerical code first: it goes furthest into the macro.
const CORPUS: &[(&str, &str)] = &[
    ("nalgebra", "0.35."),
    ("simba", "0.10."),
    ("num-dual", "0.15."),
    ("num-traits", "0.2."),
    ("num-complex", "0.4."),
    ("libm", "0.2."),
    ("approx", "0.5."),
    ("matrixmultiply", "0.3."),
    ("wide", "1."),
    ("rand", "0.9."),
    ("rand_distr", "0.5."),
    ("syn", "2."),
    ("serde", "1."),
    ("serde_core", "1."),
    ("serde_json", "1."),
    ("proptest", "1."),
    ("regex-syntax", "0.8."),
    ("memchr", "2."),
];

/// The subset of the default test.
const QUICK: &[(&str, &str)] = &[
    ("nalgebra", "0.35."),
    ("num-dual", "0.15."),
    ("libm", "0.2."),
];

/// The argument sets of `#[differentiable(...)]`; `WRT` stands for the first parameter's name.
const ARGUMENTS: &[&str] = &[
    "",
    "wrt(WRT)",
    "forward",
    "reverse",
    "order = 2",
    "jacobian",
];

/// The stack of the worker threads: what rustc gives the thread that runs proc macros (8 MiB).
/// Proc macros are built without optimisation by default, like this test under `cargo test`.
const STACK: usize = 8 << 20;

#[test]
fn corpus_quick() {
    run(QUICK, 2_000, false);
}

#[test]
#[ignore = "minutes in a debug build: see the module's documentation for the command"]
fn corpus_full() {
    run(CORPUS, 10_000, true);
}

/// Where a function is: what its output must parse as.
#[derive(Clone, Copy)]
enum Context {
    Free,
    Impl,
    Trait,
}

#[derive(Default, Clone)]
struct Counts {
    files: usize,
    unparsed_files: usize,
    functions: usize,
    expansions: usize,
    code: usize,
    errors: usize,
    panics: usize,
    bad: usize,
    types: usize,
    types_code: usize,
    types_errors: usize,
    types_panics: usize,
    types_bad: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.files += o.files;
        self.unparsed_files += o.unparsed_files;
        self.functions += o.functions;
        self.expansions += o.expansions;
        self.code += o.code;
        self.errors += o.errors;
        self.panics += o.panics;
        self.bad += o.bad;
        self.types += o.types;
        self.types_code += o.types_code;
        self.types_errors += o.types_errors;
        self.types_panics += o.types_panics;
        self.types_bad += o.types_bad;
    }
}

/// A panic or a malformed output, with where it came from.
struct Finding {
    at: String,
    what: String,
}

/// `every_argument`: expand each function with all of [`ARGUMENTS`]; otherwise with no
/// arguments and one other set in turn (the quick run: each set still meets a fifth of the
/// functions, at a third of the time).
fn run(crates: &[(&str, &str)], min_functions: usize, every_argument: bool) {
    let start = Instant::now();
    let sources = crate_sources(crates);
    let files: Vec<(usize, PathBuf)> = sources
        .iter()
        .enumerate()
        .flat_map(|(i, (_, dir))| rust_files(dir).into_iter().map(move |f| (i, f)))
        .collect();

    let counts = Mutex::new(vec![Counts::default(); sources.len()]);
    let findings = Mutex::new(Vec::<Finding>::new());
    let next = AtomicUsize::new(0);
    let spans = spans_have_locations();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let _quiet = QuietPanics::install();
    std::thread::scope(|s| {
        for _ in 0..workers {
            std::thread::Builder::new()
                .stack_size(STACK)
                .spawn_scoped(s, || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((krate, path)) = files.get(i) else {
                            break;
                        };
                        let (c, f) = run_file(
                            &sources[*krate].0,
                            &sources[*krate].1,
                            path,
                            spans,
                            every_argument,
                        );
                        counts.lock().unwrap()[*krate].add(&c);
                        findings.lock().unwrap().extend(f);
                    }
                })
                .expect("a worker thread starts");
        }
    });
    drop(_quiet);

    let counts = counts.into_inner().unwrap();
    let mut findings = findings.into_inner().unwrap();
    findings.sort_by(|a, b| a.at.cmp(&b.at));
    let mut total = Counts::default();
    println!(
        "{:<24} {:>6} {:>9} {:>10} {:>8} {:>7} {:>7} {:>4} {:>6} {:>5} {:>6} {:>7}",
        "crate",
        "files",
        "functions",
        "expansions",
        "code",
        "errors",
        "panics",
        "bad",
        "types",
        "code",
        "errors",
        "failed"
    );
    for ((name, _), c) in sources.iter().zip(&counts) {
        println!(
            "{:<24} {:>6} {:>9} {:>10} {:>8} {:>7} {:>7} {:>4} {:>6} {:>5} {:>6} {:>7}",
            name,
            c.files,
            c.functions,
            c.expansions,
            c.code,
            c.errors,
            c.panics,
            c.bad,
            c.types,
            c.types_code,
            c.types_errors,
            c.types_panics + c.types_bad
        );
        total.add(c);
    }
    println!(
        "{:<24} {:>6} {:>9} {:>10} {:>8} {:>7} {:>7} {:>4} {:>6} {:>5} {:>6} {:>7}",
        "total",
        total.files,
        total.functions,
        total.expansions,
        total.code,
        total.errors,
        total.panics,
        total.bad,
        total.types,
        total.types_code,
        total.types_errors,
        total.types_panics + total.types_bad
    );
    println!(
        "{} files did not parse with syn and were skipped; {workers} threads, {:.1} s; spans of \
         errors {}",
        total.unparsed_files,
        start.elapsed().as_secs_f64(),
        if spans {
            "checked"
        } else {
            "not checked (proc_macro2 without span locations)"
        }
    );

    let mut report = String::new();
    for f in findings.iter().take(40) {
        let _ = writeln!(report, "{}: {}", f.at, f.what);
    }
    assert!(
        findings.is_empty(),
        "{} panics or malformed outputs (the first 40):\n{report}",
        findings.len()
    );
    assert!(
        total.functions >= min_functions,
        "only {} functions found in the registry, expected at least {min_functions}: \
         build the workspace first so that cargo downloads the crates",
        total.functions
    );
}

/// The source folders of `crates` at their versions in the workspace's `Cargo.lock`; a crate
/// missing from the registry is reported and left out (the count of functions then says
/// whether enough are left).
fn crate_sources(crates: &[(&str, &str)]) -> Vec<(String, PathBuf)> {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let lock = std::fs::read_to_string(&lock).expect("the workspace's Cargo.lock");
    let locked = registry_packages(&lock);
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
        || Path::new(&std::env::var_os("HOME").expect("HOME is set")).join(".cargo"),
        PathBuf::from,
    );
    let indexes: Vec<PathBuf> = std::fs::read_dir(cargo_home.join("registry/src"))
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, prefix) in crates {
        let Some((_, version)) = locked
            .iter()
            .find(|(n, v)| n == name && v.starts_with(prefix))
        else {
            panic!("{name} {prefix}* is not in Cargo.lock: update the corpus list");
        };
        let dir = format!("{name}-{version}");
        match indexes.iter().map(|i| i.join(&dir)).find(|d| d.is_dir()) {
            Some(d) => out.push((dir, d)),
            None => println!("{dir} is not in the registry at {}", cargo_home.display()),
        }
    }
    out
}

/// The `(name, version)` of the packages from a registry in a `Cargo.lock`.
fn registry_packages(lock: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            package.lines().find_map(|l| {
                let value = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                Some(value.trim().trim_matches('"').to_string())
            })
        };
        if let (Some(name), Some(version), Some(source)) =
            (field("name"), field("version"), field("source"))
            && source.starts_with("registry+")
        {
            out.push((name, version));
        }
    }
    out
}

/// The `.rs` files under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Whether proc_macro2's fallback spans know their place in the text (then
/// `Span::call_site()` is the only span without source text).
fn spans_have_locations() -> bool {
    let x: TokenStream = "x".parse().expect("lexes");
    x.into_iter().any(|t| t.span().source_text().is_some())
}

fn run_file(
    krate: &str,
    root: &Path,
    path: &Path,
    spans: bool,
    every_argument: bool,
) -> (Counts, Vec<Finding>) {
    let mut v = Visitor {
        file: format!(
            "{krate}/{}",
            path.strip_prefix(root).unwrap_or(path).display()
        ),
        counts: Counts {
            files: 1,
            ..Counts::default()
        },
        findings: Vec::new(),
        context: Context::Free,
        spans,
        every_argument,
    };
    let parsed = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| syn::parse_file(&text).ok());
    match parsed {
        Some(file) => v.visit_file(&file),
        None => v.counts.unparsed_files += 1,
    }
    (v.counts, v.findings)
}

struct Visitor {
    file: String,
    counts: Counts,
    findings: Vec<Finding>,
    context: Context,
    /// Whether to check that errors are not at `Span::call_site()`.
    spans: bool,
    /// Whether each function meets every argument set (see [`run`]).
    every_argument: bool,
}

impl Visitor {
    fn function(&mut self, item: TokenStream, sig: &syn::Signature) {
        self.counts.functions += 1;
        let first = sig.inputs.first().and_then(|a| match a {
            syn::FnArg::Receiver(_) => Some("self".to_string()),
            syn::FnArg::Typed(t) => match &*t.pat {
                syn::Pat::Ident(p) => Some(p.ident.to_string()),
                _ => None,
            },
        });
        let at = format!("{}: {}", self.file, signature(sig));
        let other = 1 + self.counts.functions % (ARGUMENTS.len() - 1);
        for (k, args) in ARGUMENTS.iter().enumerate() {
            if !self.every_argument && k != 0 && k != other {
                continue;
            }
            let args = match (args.contains("WRT"), &first) {
                (false, _) => args.to_string(),
                (true, Some(p)) => args.replace("WRT", p),
                (true, None) => continue,
            };
            // From text, so that the arguments have spans of their own.
            let tokens: TokenStream = args.parse().expect("the arguments lex");
            self.counts.expansions += 1;
            let out = catch(|| expand_attribute(tokens, item.clone()));
            match out.and_then(|out| check(&out, self.context, self.spans)) {
                Ok(0) => self.counts.code += 1,
                Ok(_) => self.counts.errors += 1,
                Err(Failure::Panic(what)) => {
                    self.counts.panics += 1;
                    self.findings.push(Finding {
                        at: format!("{at} #[differentiable({args})]"),
                        what,
                    });
                }
                Err(Failure::Bad(what)) => {
                    self.counts.bad += 1;
                    self.findings.push(Finding {
                        at: format!("{at} #[differentiable({args})]"),
                        what,
                    });
                }
            }
        }
    }

    fn data_type(&mut self, input: syn::DeriveInput) {
        self.counts.types += 1;
        let at = format!(
            "{}: type {} #[derive(Differentiable)]",
            self.file, input.ident
        );
        match catch(|| expand_derive(&input)).and_then(|out| check(&out, Context::Free, self.spans))
        {
            Ok(0) => self.counts.types_code += 1,
            Ok(_) => self.counts.types_errors += 1,
            Err(Failure::Panic(what)) => {
                self.counts.types_panics += 1;
                self.findings.push(Finding { at, what });
            }
            Err(Failure::Bad(what)) => {
                self.counts.types_bad += 1;
                self.findings.push(Finding { at, what });
            }
        }
    }

    fn within<T>(&mut self, context: Context, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.context, context);
        let r = f(self);
        self.context = outer;
        r
    }
}

impl<'ast> Visit<'ast> for Visitor {
    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        self.within(Context::Free, |v| {
            v.function(i.to_token_stream(), &i.sig);
            visit::visit_item_fn(v, i);
        });
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.within(Context::Impl, |v| visit::visit_item_impl(v, i));
    }

    fn visit_item_trait(&mut self, i: &'ast syn::ItemTrait) {
        self.within(Context::Trait, |v| visit::visit_item_trait(v, i));
    }

    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        self.function(i.to_token_stream(), &i.sig);
        // Items in the body are free items again.
        self.within(Context::Free, |v| visit::visit_impl_item_fn(v, i));
    }

    fn visit_trait_item_fn(&mut self, i: &'ast syn::TraitItemFn) {
        if i.default.is_some() {
            self.function(i.to_token_stream(), &i.sig);
        }
        self.within(Context::Free, |v| visit::visit_trait_item_fn(v, i));
    }

    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        self.within(Context::Free, |v| visit::visit_item_mod(v, i));
    }

    fn visit_item_struct(&mut self, i: &'ast syn::ItemStruct) {
        self.data_type(i.clone().into());
        visit::visit_item_struct(self, i);
    }

    fn visit_item_enum(&mut self, i: &'ast syn::ItemEnum) {
        self.data_type(i.clone().into());
        visit::visit_item_enum(self, i);
    }

    fn visit_item_union(&mut self, i: &'ast syn::ItemUnion) {
        self.data_type(i.clone().into());
        visit::visit_item_union(self, i);
    }
}

/// A function's signature as text, shortened: where to find it in its file.
fn signature(sig: &syn::Signature) -> String {
    let text = sig.to_token_stream().to_string();
    match text.char_indices().nth(100) {
        Some((i, _)) => format!("{} ...", &text[..i]),
        None => text,
    }
}

enum Failure {
    /// A panic: its message and location.
    Panic(String),
    /// An output that does not parse, or an error without a span or in another style.
    Bad(String),
}

/// Checks an output: it parses in `context`, and each `compile_error!` in it has a span of the
/// input and a message in the project's style. Returns the number of `compile_error!`s.
fn check(out: &TokenStream, context: Context, spans: bool) -> Result<usize, Failure> {
    let parsed = match context {
        Context::Free => syn::parse2::<syn::File>(out.clone()).map(drop),
        Context::Impl => syn::parse2::<syn::ItemImpl>(quote!(impl Corpus { #out })).map(drop),
        Context::Trait => syn::parse2::<syn::ItemTrait>(quote!(trait Corpus { #out })).map(drop),
    };
    if let Err(e) = parsed {
        return Err(Failure::Bad(format!("the output does not parse: {e}")));
    }
    let mut errors = Vec::new();
    compile_errors(out.clone(), &mut errors);
    for (span, message) in &errors {
        let message = message.as_deref().unwrap_or("");
        if spans && span.source_text().is_none() {
            return Err(Failure::Bad(format!(
                "`compile_error!` at `Span::call_site()`: {message:?}"
            )));
        }
        let Some(first) = message.chars().next() else {
            return Err(Failure::Bad("`compile_error!` without a message".into()));
        };
        if first.is_uppercase() || message.ends_with('.') {
            return Err(Failure::Bad(format!(
                "message not lowercase first or with a trailing period: {message:?}"
            )));
        }
    }
    Ok(errors.len())
}

/// The `compile_error!` invocations in `tokens`, at any depth: the span of the macro's name
/// and the message, if it is a string literal.
fn compile_errors(tokens: TokenStream, out: &mut Vec<(proc_macro2::Span, Option<String>)>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Ident(name) if name == "compile_error" => {
                if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                    && bang.as_char() == '!'
                    && g.delimiter() != Delimiter::None
                {
                    let message = syn::parse2::<syn::LitStr>(g.stream()).ok();
                    out.push((name.span(), message.map(|m| m.value())));
                }
            }
            TokenTree::Group(g) => compile_errors(g.stream(), out),
            _ => {}
        }
    }
}

thread_local! {
    /// Whether this thread is inside [`catch`]: a panic is recorded there, not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While alive, panics inside [`catch`] are recorded (message and location) instead of printed;
/// other panics (of the test itself, or of the other tests of this binary) go to the previous
/// hook, which is restored on drop.
/// Tests that install it take turns.
struct QuietPanics(Arc<Hook>, #[allow(dead_code)] MutexGuard<'static, ()>);

static HOOK: Mutex<()> = Mutex::new(());

impl QuietPanics {
    fn install() -> QuietPanics {
        let turn = HOOK.lock().unwrap_or_else(|e| e.into_inner());
        let previous: Arc<Hook> = Arc::new(panic::take_hook());
        let inner = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| {
            if QUIET.get() {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(a payload that is not a string)".into());
                let location = info
                    .location()
                    .map_or_else(String::new, |l| format!(" at {l}"));
                LAST_PANIC.set(Some(format!("panic{location}: {message}")));
            } else {
                inner(info);
            }
        }));
        QuietPanics(previous, turn)
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        // Dropping the hook installed above releases its handle on the previous one.
        drop(panic::take_hook());
        let previous = std::mem::replace(&mut self.0, Arc::new(Box::new(|_| {})));
        match Arc::try_unwrap(previous) {
            Ok(hook) => panic::set_hook(hook),
            Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
        }
    }
}

/// Runs `f`, turning a panic into [`Failure::Panic`] with its message and location (recorded,
/// not printed, while a [`QuietPanics`] is installed).
fn catch(f: impl FnOnce() -> TokenStream) -> Result<TokenStream, Failure> {
    QUIET.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(false);
    result.map_err(|_| {
        Failure::Panic(
            LAST_PANIC
                .take()
                .unwrap_or_else(|| "panic (not recorded)".into()),
        )
    })
}

/// The checks themselves can fail: an output that does not parse, a message in capitals or
/// with a period, a panic, and (where spans have locations) an error at `Span::call_site()`
/// are each reported.
#[test]
fn the_checks_catch_what_they_look_for() {
    let _quiet = QuietPanics::install();
    let spans = spans_have_locations();
    let real: TokenStream = "fn f(x: f64) -> f64 { x }".parse().unwrap();
    let span = real.clone().into_iter().next().unwrap().span();
    let error = |message: &str| syn::Error::new(span, message).into_compile_error();
    let bad =
        |out: &TokenStream, context| matches!(check(out, context, spans), Err(Failure::Bad(_)));

    assert_eq!(check(&real, Context::Free, spans).ok(), Some(0));
    let inner = error("`x` is not supported");
    let nested = quote!(#real const _: () = { #inner };);
    assert_eq!(check(&nested, Context::Free, spans).ok(), Some(1));
    assert!(bad(&error("Capital"), Context::Free));
    assert!(bad(&error("a period."), Context::Free));
    assert!(bad(&error(""), Context::Free));
    assert!(bad(&quote!(fn), Context::Free));
    // A method with `default` is an item of an `impl`, not of a file.
    let method: TokenStream = "pub fn m(&self) {} default fn n() {}".parse().unwrap();
    assert!(check(&method, Context::Impl, spans).is_ok());
    assert!(bad(&method, Context::Free));
    let call_site = syn::Error::new(proc_macro2::Span::call_site(), "at the call site");
    assert_eq!(bad(&call_site.into_compile_error(), Context::Free), spans);

    let panicked = catch(|| panic!("on purpose"));
    match panicked {
        Err(Failure::Panic(m)) => assert!(m.contains("on purpose") && m.contains("corpus.rs")),
        _ => panic!("the panic was not caught"),
    }

    assert_eq!(
        registry_packages(
            "[[package]]\nname = \"a\"\nversion = \"1.2.3\"\nsource = \"registry+https://x\"\n\n\
             [[package]]\nname = \"b\"\nversion = \"0.1.0\"\n"
        ),
        [("a".to_string(), "1.2.3".to_string())]
    );
}
