#!/usr/bin/env python3
"""Compare every record tshark dissects in the generated captures with what the generator says it sent.

Usage: python3 scripts/tshark-check/check.py DIR   (after make-captures.ts DIR). Needs tshark (Wireshark 4.x).
Exit status 0 when every field of every record and every total matches.
"""
import json, subprocess, sys
from datetime import datetime, timezone

DIR = sys.argv[1] if len(sys.argv) > 1 else '/tmp/gen'


def load(pcap):
    out = subprocess.run(['tshark', '-r', pcap, '-d', 'udp.port==2055,cflow', '-d', 'udp.port==4739,cflow',
                          '-o', 'ip.check_checksum:TRUE', '-T', 'json'], capture_output=True, text=True, check=True).stdout
    return json.loads(out, object_pairs_hook=lambda p: p)  # keep repeated keys, in order


def walk(node, pred, acc):
    """Every tree node (as a dict) whose keys satisfy pred, in document order."""
    if isinstance(node, list) and node and isinstance(node[0], tuple):
        if pred([k for k, _ in node]):
            acc.append(dict(node))
        for _, v in node:
            walk(v, pred, acc)
    elif isinstance(node, list):
        for v in node:
            walk(v, pred, acc)
    return acc


def absms(s):  # "Nov 14, 2023 22:12:37.074000000 UTC" -> epoch ms
    base, frac = s.replace(' UTC', '').rsplit('.', 1)
    dt = datetime.strptime(base, '%b %d, %Y %H:%M:%S').replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1000 + int(frac[:3])


def check_cflow(name, gen, d):
    flows, boot = gen['flows'], gen['boot']
    recs = walk(d, lambda ks: 'cflow.protocol' in ks, [])
    errs = [] if len(recs) == len(flows) else [f'count tshark={len(recs)} gen={len(flows)}']
    for i, (r, f) in enumerate(zip(recs, flows)):
        got = dict(src=r.get('cflow.srcaddr') or r.get('cflow.srcaddrv6'), dst=r.get('cflow.dstaddr') or r.get('cflow.dstaddrv6'),
                   nh=r.get('cflow.nexthop') or r.get('cflow.nexthopv6'), sp=int(r['cflow.srcport']), dp=int(r['cflow.dstport']),
                   pr=int(r['cflow.protocol']), by=int(r['cflow.octets']), pk=int(r['cflow.packets']), fl=int(r['cflow.tcpflags'], 16),
                   tos=int(r['cflow.tos'], 16), i=int(r['cflow.inputint']), o=int(r['cflow.outputint']), sa=int(r['cflow.srcas']),
                   da=int(r['cflow.dstas']))
        want = dict(src=f['srcIp'], dst=f['dstIp'], nh=f['nextHop'], sp=f['srcPort'], dp=f['dstPort'], pr=f['protocol'], by=f['bytes'],
                    pk=f['packets'], fl=f['tcpFlags'], tos=f['tos'], i=f['inputIf'], o=f['outputIf'], sa=f['srcAs'], da=f['dstAs'])
        tt = dict(r['cflow.timedelta_tree'])
        if 'cflow.abstimestart' in tt:
            got.update(t0=absms(tt['cflow.abstimestart']), t1=absms(tt['cflow.abstimeend']))
            want.update(t0=f['start'], t1=f['end'])
        else:
            got.update(t0=round(float(tt['cflow.timestart']) * 1000), t1=round(float(tt['cflow.timeend']) * 1000))
            want.update(t0=f['start'] - boot, t1=f['end'] - boot)
        if 'cflow.appl_name' in r:
            got['app'], want['app'] = r['cflow.appl_name'], f['app']
        if got != want:
            errs.append((i, {k: (got[k], want[k]) for k in got if got[k] != want[k]}))
    t = gen['totals']
    sums = (len(recs), sum(int(r['cflow.octets']) for r in recs), sum(int(r['cflow.packets']) for r in recs))
    if sums != (t['flows'], t['bytes'], t['packets']):
        errs.append(('totals', sums, t))
    return f'{len(recs)} records, {sums[1]} bytes, {sums[2]} packets', errs


def check_sflow(name, gen, d):
    flows = gen['flows']
    samples = walk(d, lambda ks: 'sflow.flow_sample.sampling_rate' in ks, [])
    counters = walk(d, lambda ks: 'sflow.counters_sample.sequence_number' in ks, [])
    errs = [] if len(samples) == len(flows) else [f'count {len(samples)} vs {len(flows)}']
    for i, (s, f) in enumerate(zip(samples, flows)):
        raw, sw = dict(s['Raw packet header']), dict(s['Extended switch data'])
        ht = dict(raw['sflow_245.header_tree'])
        ip = dict(ht.get('ip') or ht.get('ipv6'))
        if 'ip.checksum.status' in ip and ip['ip.checksum.status'] != '1':
            errs.append((i, 'bad IPv4 header checksum'))
        l4 = dict(ht.get('tcp') or ht.get('udp') or ht.get('icmp') or ht.get('icmpv6') or [])
        dp = int(l4.get('tcp.dstport') or l4.get('udp.dstport') or 0)
        for p in ('icmp', 'icmpv6'):
            if f'{p}.type' in l4:
                dp = int(l4[f'{p}.type']) << 8 | int(l4[f'{p}.code'])
        iplen = int(ip['ip.len']) if 'ip.len' in ip else 40 + int(ip['ipv6.plen'])
        got = dict(src=ip.get('ip.src') or ip.get('ipv6.src'), dst=ip.get('ip.dst') or ip.get('ipv6.dst'),
                   sp=int(l4.get('tcp.srcport') or l4.get('udp.srcport') or 0), dp=dp, pr=int(ip.get('ip.proto') or ip.get('ipv6.nxt')),
                   fl=int(l4['tcp.flags'], 16) if 'tcp.flags' in l4 else 0, frame=int(raw['sflow_245.header.frame_length']),
                   iplen=iplen + 18, rate=int(s['sflow.flow_sample.sampling_rate']), vin=int(sw['sflow_245.vlan.in']),
                   vout=int(sw['sflow_245.vlan.out']))
        want = dict(src=f['srcIp'], dst=f['dstIp'], sp=f['srcPort'], dp=f['dstPort'], pr=f['protocol'], fl=f['tcpFlags'], frame=f['bytes'],
                    iplen=f['bytes'], rate=gen['rate'], vin=f['srcVlan'], vout=f['dstVlan'])
        if got != want:
            errs.append((i, {k: (got[k], want[k]) for k in got if got[k] != want[k]}))
    t = gen['totals']
    fb = sum(int(dict(s['Raw packet header'])['sflow_245.header.frame_length']) for s in samples)
    if (len(samples), fb, len(counters)) != (t['flows'], t['bytes'], t['counterSamples']):
        errs.append(('totals', len(samples), fb, len(counters), t))
    return f'{len(samples)} flow samples, {len(counters)} counter samples, {fb} frame bytes', errs


bad = 0
for name in ['v5', 'v5-s', 'v9', 'v9-s', 'ipfix', 'ipfix-s', 'sflow', 'sflow-s']:
    gen = json.load(open(f'{DIR}/{name}.json'))
    d = load(f'{DIR}/{name}.pcap')
    malformed = walk(d, lambda ks: '_ws.malformed' in ks, [])
    summary, errs = (check_sflow if name.startswith('sflow') else check_cflow)(name, gen, d)
    if malformed:
        errs.append(('malformed', len(malformed)))
    print(f'{name:8} {summary}: {"OK" if not errs else errs[:3]}')
    bad += len(errs)
sys.exit(1 if bad else 0)
