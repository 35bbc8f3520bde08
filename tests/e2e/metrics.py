#!/usr/bin/env python3
"""metrics.py -- helpers of tests/e2e/79-metrics.t for resolverd's GET /metrics.

    metrics.py keys SCRAPE STATS     every `stats` key is a sample of the scrape (and only
                                     those), with the same value; differences on stdout
    metrics.py names SCRAPE          the metric family names of the scrape
    metrics.py used DASHBOARD        the resolverd_* names the dashboard's queries use
    metrics.py exprs DASHBOARD API   sends each of its queries (the Grafana variables filled
                                     in: $__rate_interval 5s, $instance .*) to the Prometheus
                                     API at API; prints those it rejects
    metrics.py hold ADDR PORT N MODE opens N connections and keeps them until killed;
                                     MODE idle (sends nothing), slow (a byte a second,
                                     never ending the head), flood (sends without end) or
                                     scrape (N clients scraping as fast as they can, each
                                     connection anew);
                                     prints "held K" once K are connected

A family's `# HELP` ends with "(stats: KEY...)" naming the `resolverctl stats` key of each
of its samples in order, or "(stats: PREFIX.<label>)" when the key is PREFIX and the
sample's label value. The histogram's buckets are cumulative: bucket i minus bucket i-1 is
the stats key's value.
"""
import json
import re
import socket
import sys
import time
import urllib.parse
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
HELP = re.compile(r'^# HELP (\S+) .*\(stats: ([^)]*)\)$')


def parse_labels(text):
    return dict(re.findall(r'(\w+)="([^"]*)"', text or ''))


def scrape_keys(path):
    """{stats key: value as the scrape says it} and the list of problems found."""
    families, order, problems = {}, [], []
    current = None
    for line in open(path):
        line = line.rstrip('\n')
        m = HELP.match(line)
        if m:
            current = m.group(1)
            families[current] = {'keys': m.group(2).split(), 'samples': []}
            order.append(current)
            continue
        if line.startswith('#') or not line:
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append('unparsable line: ' + line)
            continue
        name, labels, value = m.group(1), parse_labels(m.group(2)), float(m.group(3))
        if current is None or not name.startswith(current):
            problems.append('sample outside its family: ' + line)
            continue
        families[current]['samples'].append((name, labels, value))
    found = {}
    for fam in order:
        f = families[fam]
        keys, samples = f['keys'], f['samples']
        if len(keys) == 1 and '.<' in keys[0]:
            prefix, label = keys[0].split('.<')
            label = label.rstrip('>')
            for name, labels, value in samples:
                found[prefix + '.' + labels.get(label, '?')] = value
            continue
        buckets = [s for s in samples if s[0].endswith('_bucket')]
        if buckets:                      # histogram: buckets, then _sum; _count has no key
            previous = 0.0
            rest = [s for s in samples if s[0].endswith('_sum')]
            values = []
            for _, _, v in buckets:
                values.append(v - previous)
                previous = v
            values += [v for _, _, v in rest]
            samples = [(None, None, v) for v in values]
        if len(samples) != len(keys):
            problems.append('%s: %d samples for %d keys' % (fam, len(samples), len(keys)))
            continue
        for key, (_, _, value) in zip(keys, samples):
            found[key] = value
    return found, problems


def cmd_keys(scrape, stats):
    found, problems = scrape_keys(scrape)
    want = {}
    for line in open(stats):
        k, _, v = line.strip().partition('=')
        if k:
            want[k] = v
    for k in sorted(set(want) - set(found)):
        problems.append('stats key without a metric: ' + k)
    for k in sorted(set(found) - set(want)):
        problems.append('metric for no stats key: ' + k)
    for k in sorted(set(want) & set(found)):
        v = want[k]
        exact = re.fullmatch(r'\d+', v) and not k.endswith(('_ms', '_us'))
        if exact and float(v) != found[k]:
            problems.append('%s: stats %s, metric %s' % (k, v, found[k]))
    for p in problems:
        print(p)
    print('%d stats keys, %d found in the scrape' % (len(want), len(found)), file=sys.stderr)
    return 1 if problems else 0


def cmd_names(scrape):
    for line in open(scrape):
        if line.startswith('# TYPE '):
            print(line.split()[2])
    return 0


def dashboard_exprs(dashboard):
    exprs = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == 'expr' and isinstance(v, str):
                    exprs.append(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(json.load(open(dashboard)))
    return exprs


def cmd_used(dashboard):
    names = set()
    for e in dashboard_exprs(dashboard):
        names.update(re.sub(r'_(bucket|sum|count)$', '', n)
                     for n in re.findall(r'resolverd_[a-z_]+', e))
    for n in sorted(names):
        print(n)
    return 0


def cmd_exprs(dashboard, api):
    bad = 0
    for e in dashboard_exprs(dashboard):
        e = e.replace('$__rate_interval', '5s').replace('$instance', '.*')
        url = api + '/query?' + urllib.parse.urlencode({'query': e})
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                status = json.load(r).get('status')
        except (OSError, ValueError) as err:
            status = str(err)
        if status != 'success':
            print('%s: %s' % (status, e))
            bad += 1
    return 1 if bad else 0


def scrape_loop(addr, port, n):
    """n clients, each scraping over a new connection as soon as its last one ended."""
    import selectors
    sel = selectors.DefaultSelector()
    request = b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'

    def start():
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((addr, int(port)))
        sel.register(s, selectors.EVENT_WRITE, 'connecting')
    for _ in range(int(n)):
        start()
    print('held %s' % n, flush=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                if key.data == 'connecting':
                    s.send(request)
                    sel.modify(s, selectors.EVENT_READ, 'reading')
                    continue
                if s.recv(65536):
                    continue
            except OSError:
                pass
            sel.unregister(s)
            s.close()
            start()
    return 0


def cmd_hold(addr, port, n, mode):
    if mode == 'scrape':
        return scrape_loop(addr, port, n)
    socks = []
    for _ in range(int(n)):
        try:
            s = socket.create_connection((addr, int(port)), timeout=2)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            pass
    print('held %d' % len(socks), flush=True)
    junk = b'X-Junk: ' + b'x' * 4000 + b'\r\n'
    deadline = time.time() + 60
    while time.time() < deadline:
        for s in socks:
            try:
                if mode == 'slow':
                    s.send(b'G')
                elif mode == 'flood':
                    s.send(junk)
            except OSError:
                pass
        time.sleep(1 if mode == 'slow' else 0.01)
    return 0


def main(argv):
    commands = {'keys': (cmd_keys, 2), 'names': (cmd_names, 1),
                'used': (cmd_used, 1), 'exprs': (cmd_exprs, 2), 'hold': (cmd_hold, 4)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[1]][0](*argv[2:])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
