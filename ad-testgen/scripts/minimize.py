#!/usr/bin/env python3
"""Minimises a generated function that fails under #[differentiable].

usage: minimize.py FILE FN [--sig REGEX] [--target DIR]

FILE is a standalone source written by `ad-testgen --dump I` (prelude, structs, callees, the
function FN). Each round writes every variant with one statement (a line, or a line with the
block it opens) of FN's body deleted, and every variant with one item (a callee or a struct)
deleted, into one crate, twice: as is (module vK) and without the macro (module pK). A
variant is kept when the macro flavour still fails with an error whose first line matches
--sig (default: the original first error) and the plain flavour compiles. The smallest kept
variant goes into the next round, until none is kept. Prints the minimised source and its
error. The crate is built in --target (default /tmp/ad-min) against the `ad` of this
repository.
"""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def split_items(src):
    """Top-level items (text blocks) of a file, and the `use` header."""
    lines = src.split('\n')
    header, items, cur, depth = [], [], [], 0
    for l in lines:
        if depth == 0 and not cur and (l.startswith('use ') or l.startswith('#[allow(unused_imports)]') or l.strip() == ''):
            if l.strip():
                header.append(l)
            continue
        cur.append(l)
        depth += l.count('{') - l.count('}')
        if depth == 0 and (l.rstrip().endswith('}') or l.rstrip().endswith(';')):
            items.append('\n'.join(cur))
            cur = []
    if cur:
        items.append('\n'.join(cur))
    return '\n'.join(header), items

def statements(body_lines):
    """Index ranges [a, b) of deletable statements in a function body (lines between the
    signature and the closing brace)."""
    out, i = [], 0
    while i < len(body_lines):
        l = body_lines[i]
        depth = l.count('{') - l.count('}')
        j = i + 1
        while depth > 0 and j < len(body_lines):
            depth += body_lines[j].count('{') - body_lines[j].count('}')
            j += 1
        out.append((i, j))
        i = j
    return out

def nested_statements(body_lines):
    """Every line-statement range, at any nesting depth (inner statements too)."""
    res = []
    for a in range(len(body_lines)):
        l = body_lines[a]
        s = l.strip()
        if not s or s.startswith('}') or s.endswith('=> {') and False:
            continue
        depth = l.count('{') - l.count('}')
        if depth < 0:
            continue
        b = a + 1
        while depth > 0 and b < len(body_lines):
            depth += body_lines[b].count('{') - body_lines[b].count('}')
            b += 1
        if depth == 0:
            res.append((a, b))
    return res

def fn_parts(item, name):
    lines = item.split('\n')
    for k, l in enumerate(lines):
        if re.search(r'\bfn ' + re.escape(name) + r'\(', l):
            # body: lines after the signature line up to the last closing brace of the fn
            end = len(lines) - 1
            while not lines[end].strip().startswith('}'):
                end -= 1
            if lines[0].startswith('impl'):
                end -= 1  # the fn's brace, before the impl's
                while not lines[end].strip().startswith('}'):
                    end -= 1
            return lines[:k + 1], lines[k + 1:end], lines[end:]
    return None

def build(variants, target):
    """variants: list of (header, items) -> list of (macro errors, plain ok)."""
    os.makedirs(os.path.join(target, 'src'), exist_ok=True)
    with open(os.path.join(target, 'Cargo.toml'), 'w') as f:
        f.write('[package]\nname = "ad-min"\nversion = "0.0.0"\nedition = "2024"\n\n'
                '[dependencies]\nad = { path = "%s" }\n\n[workspace]\n' % ROOT)
    src = ['#![allow(warnings)]']
    ranges = []
    for k, (header, items) in enumerate(variants):
        for flavour in ('v', 'p'):
            start = len(src) + 1
            body = '\n'.join(items)
            if flavour == 'p':
                body = body.replace('#[differentiable]', '').replace('Differentiable, ', '')
                hdr = header.replace('use ad::prelude::*;', '')
            else:
                hdr = header
            src.append('mod %s%d {\n%s\n%s\n}' % (flavour, k, hdr, body))
            end = len('\n'.join(src).split('\n'))
            ranges.append((start, end, flavour, k))
    src.append('fn main() {}')
    with open(os.path.join(target, 'src/main.rs'), 'w') as f:
        f.write('\n'.join(src) + '\n')
    p = subprocess.run(['cargo', 'build', '--quiet'], cwd=target, capture_output=True, text=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=os.path.join(target, 'target')))
    errs = {k: [] for k in range(len(variants))}
    plain_bad = set()
    block = None
    blocks = []
    for l in p.stderr.split('\n'):
        if l.startswith('error') or l.startswith('warning'):
            block = [l]
            blocks.append(block)
        elif block is not None:
            block.append(l)
    for b in blocks:
        if not b[0].startswith('error') or b[0].startswith('error: could not compile') or b[0].startswith('error: aborting'):
            continue
        line = None
        for l in b:
            m = re.search(r'src/main\.rs:(\d+):', l)
            if m:
                line = int(m.group(1))
                break
        if line is None:
            continue
        for (a, z, fl, k) in ranges:
            if a <= line <= z:
                if fl == 'p':
                    plain_bad.add(k)
                else:
                    errs[k].append('\n'.join(b))
                break
    return [(errs[k], k not in plain_bad) for k in range(len(variants))]

def main():
    args = sys.argv[1:]
    path, name = args[0], args[1]
    sig = None
    target = '/tmp/ad-min'
    if '--sig' in args:
        sig = args[args.index('--sig') + 1]
    if '--target' in args:
        target = args[args.index('--target') + 1]
    header, items = split_items(open(path).read())
    (res,) = build([(header, items)], target)
    errs, plain = res
    if not plain:
        sys.exit('the file does not compile as plain Rust')
    if not errs:
        sys.exit('no error under the macro')
    if sig is None:
        sig = re.escape(re.sub(r'\s+$', '', errs[0].split('\n')[0]))
    print('signature:', sig, file=sys.stderr)
    matches = lambda es: any(re.search(sig, e.split('\n')[0]) for e in es)
    assert matches(errs)
    best_err = errs
    while True:
        fi = next(i for i, it in enumerate(items) if fn_parts(it, name))
        head, body, tail = fn_parts(items[fi], name)
        cands = []
        for (a, b) in nested_statements(body):
            nb = body[:a] + body[b:]
            if not any(l.strip() for l in nb):
                continue
            it2 = list(items)
            it2[fi] = '\n'.join(head + nb + tail)
            cands.append(it2)
        for j in range(len(items)):
            if j != fi:
                cands.append(items[:j] + items[j + 1:])
        if not cands:
            break
        print('round: %d candidates, %d lines' % (len(cands), sum(len(i.split('\n')) for i in items)), file=sys.stderr)
        results = build([(header, c) for c in cands], target)
        ok = [(sum(len(i.split('\n')) for i in c), c, e) for c, (e, plain) in zip(cands, results) if plain and matches(e)]
        if not ok:
            break
        ok.sort(key=lambda t: t[0])
        _, items, best_err = ok[0]
    print(header)
    print('\n'.join(items))
    print('//', '\n// '.join(best_err[0].split('\n')[:12]))

main()
