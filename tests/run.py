#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run.py - run every meson test of one or more build dirs and count TAP.

usage: run.py BUILDDIR[:suite,suite...] ...

Each test program speaks TAP ("ok N - name", "not ok N - name",
"ok N # SKIP reason").  A program that exits non-zero without reporting a
failure counts as one failure; one that prints no TAP at all counts as one
result by its exit status.  The last line is always
"N passed, N failed, N skipped".
"""
import json
import os
import re
import subprocess
import sys

TAP = re.compile(r'^(not ok|ok)\b\s*\d*\s*(?:-\s*)?(.*)$')


def run_one(build, t, tag):
    env = dict(os.environ)
    env.update(t.get('env') or {})
    try:
        p = subprocess.run(t['cmd'], cwd=t.get('workdir') or build, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=t.get('timeout') or 600)
        out, rc = p.stdout.decode('utf-8', 'replace'), p.returncode
    except subprocess.TimeoutExpired as ex:
        out = (ex.stdout or b'').decode('utf-8', 'replace') + '\nTIMEOUT\n'
        rc = -1
    except OSError as ex:
        out, rc = f'cannot run: {ex}\n', -1
    passed = failed = skipped = 0
    plan = re.search(r'^1\.\.0\s*#\s*SKIP\s*(.*)$', out, re.M | re.I)
    if plan:  # the whole program skipped, with its reason
        skipped += 1
        print(f'  skip {tag}{t["name"]}: {plan.group(1)}')
    for line in out.splitlines():
        m = TAP.match(line.strip())
        if not m:
            continue
        ok, rest = m.group(1) == 'ok', m.group(2)
        if '# SKIP' in rest.upper() or '#SKIP' in rest.upper():
            skipped += 1
            print(f'  skip {tag}{t["name"]}: {rest}')
        elif ok:
            passed += 1
        else:
            failed += 1
            print(f'  FAIL {tag}{t["name"]}: {rest}')
    if rc == 0 and passed + failed + skipped == 0:
        passed = 1  # a plain exit-code test
    if rc != 0 and failed == 0:
        failed += 1
        print(f'  FAIL {tag}{t["name"]}: exit status {rc}')
    if failed:
        print('\n'.join('    | ' + l for l in out.splitlines()[-40:]))
    return passed, failed, skipped


def main(argv):
    total = [0, 0, 0]
    for arg in argv[1:]:
        build, _, suites = arg.partition(':')
        want = set(suites.split(',')) if suites else None
        tests = json.loads(subprocess.check_output(
            ['meson', 'introspect', '--tests', build]))
        tag = '' if build == 'build' else build + '/'
        for t in tests:
            suites = {x.split(':')[-1] for x in t.get('suite') or []}
            if want and not want.intersection(suites):
                continue
            p, f, s = run_one(build, t, tag)
            print(f'{tag}{t["name"]:<40} {p} passed, {f} failed, {s} skipped')
            total = [a + b for a, b in zip(total, (p, f, s))]
    print(f'{total[0]} passed, {total[1]} failed, {total[2]} skipped')
    return 1 if total[1] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
