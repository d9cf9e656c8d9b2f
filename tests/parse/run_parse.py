#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run_parse.py - the parse suite (pfctl regress style), TAP output.

usage: run_parse.py WFPCTL SRCDIR

For every SRCDIR/NAME.{wfp,json,xml}:
  1. `wfpctl check NAME.x` must succeed and print exactly NAME.ok
     (the canonical text listing);
  2. feeding that listing back must reproduce it (parse(print(x)) == x);
  3. converting it to JSON and back must reproduce it; converting it to
     XML, the XML to JSON and that back to XML must reproduce the XML
     (XML keeps every WFP field but not the text's symbolic names).
For every SRCDIR/fail/NAME.{wfp,json,xml}: `wfpctl check` must exit 1 and
the first line of its error must equal fail/NAME.err ("file:line:col:
error: message", the file as given relative to SRCDIR).

REGEN=1 rewrites the .ok and .err files from the current output.
"""
import os
import subprocess
import sys
import tempfile

EXTS = ('.wfp', '.json', '.xml')


def run(wfpctl, args, cwd, stdin=None):
    p = subprocess.run([wfpctl] + args, cwd=cwd, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), \
        p.stderr.decode('utf-8', 'replace')


def check_text(wfpctl, text, cwd, fmt=None):
    """Write text to a temp file, optionally convert it, check it back."""
    with tempfile.NamedTemporaryFile('w', suffix='.wfp', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        if fmt:
            rc, out, err = run(wfpctl, ['check', '-n', '--' + fmt, path], cwd)
            if rc:
                return rc, out, err
            with open(path, 'w') as f:
                f.write(out)
        return run(wfpctl, ['check', path], cwd)
    finally:
        os.unlink(path)


def convert(wfpctl, text, suffix, fmt, cwd):
    with tempfile.NamedTemporaryFile('w', suffix=suffix, delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return run(wfpctl, ['check', '-n', '--' + fmt, path], cwd)
    finally:
        os.unlink(path)


def xml_round_trip(wfpctl, text, cwd):
    """XML has no symbolic names, so compare XML with XML: text -> XML
    (x1) -> JSON -> XML (x2) must give x1 again, and x1 must load."""
    rc, x1, err = convert(wfpctl, text, '.wfp', 'xml', cwd)
    if rc:
        return False, err
    rc, j, err = convert(wfpctl, x1, '.xml', 'json', cwd)
    if rc:
        return False, err
    rc, x2, err = convert(wfpctl, j, '.json', 'xml', cwd)
    if rc or x1 != x2:
        return False, err or 'XML differs after XML -> JSON -> XML'
    rc, _, err = check_text(wfpctl, x1, cwd)
    return rc == 0, err


def main(argv):
    wfpctl, src = argv[1], argv[2]
    regen = os.environ.get('REGEN') == '1'
    cases = sorted(n for n in os.listdir(src) if n.endswith(EXTS))
    fails = sorted(n for n in os.listdir(os.path.join(src, 'fail'))
                   if n.endswith(EXTS)) if os.path.isdir(
                       os.path.join(src, 'fail')) else []
    results = []

    for name in cases:
        base = os.path.splitext(name)[0]
        okf = os.path.join(src, base + '.ok')
        rc, out, err = run(wfpctl, ['check', name], src)
        if regen and rc == 0:
            with open(okf, 'w') as f:
                f.write(out)
        want = open(okf).read() if os.path.exists(okf) else None
        results.append((rc == 0 and out == want, f'{name} -> {base}.ok',
                        err or out))
        if rc or want is None:
            continue
        rc2, out2, err2 = check_text(wfpctl, want, src)
        results.append((rc2 == 0 and out2 == want, f'{base}.ok reparses',
                        err2 or out2))
        rc3, out3, err3 = check_text(wfpctl, want, src, 'json')
        results.append((rc3 == 0 and out3 == want,
                        f'{base}.ok round trip through json', err3 or out3))
        ok, detail = xml_round_trip(wfpctl, want, src)
        results.append((ok, f'{base}.ok round trip through xml', detail))

    for name in fails:
        base = os.path.splitext(name)[0]
        errf = os.path.join(src, 'fail', base + '.err')
        rc, out, err = run(wfpctl, ['check', 'fail/' + name], src)
        first = err.splitlines()[0] if err else ''
        if regen and rc == 1:
            with open(errf, 'w') as f:
                f.write(first + '\n')
        want = open(errf).read().strip() if os.path.exists(errf) else None
        results.append((rc == 1 and first == want, f'fail/{name} rejected',
                        f'rc={rc} got: {first}\nwant: {want}'))

    print(f'1..{len(results)}')
    for i, (ok, name, detail) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {i} - {name}')
        if not ok:
            for line in detail.splitlines()[:20]:
                print(f'# {line}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
