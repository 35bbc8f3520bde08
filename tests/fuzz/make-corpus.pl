#!/usr/bin/perl
# make-corpus.pl -- writes the seed corpus of every fuzz target into tests/fuzz/corpus/.
#
# Run it from anywhere (perl-base only); it rewrites the seeds it knows and leaves other files
# alone. DNS messages are built here by hand rather than captured with dig, so that each seed
# is a known case (a referral with glue, a CNAME chain, a compressed question, an OPT in the
# wrong section ...) and the corpus needs no network to regenerate. Query and upstream seeds
# start with the control octet their harness reads (see fuzz_query.c, fuzz_upstream.c).
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);

my $dir = dirname(__FILE__) . '/corpus';
my %type = (A => 1, NS => 2, CNAME => 5, SOA => 6, PTR => 12, MX => 15, TXT => 16,
            AAAA => 28, OPT => 41, DS => 43, RRSIG => 46, NSEC => 47, NSEC3 => 50,
            AXFR => 252, ANY => 255);

sub name {
    my ($n) = @_;
    return "\0" if $n eq '.';
    $n =~ s/\.$//;
    return join('', map { chr(length $_) . $_ } split /\./, $n) . "\0";
}

# header: id, flags (16 bits), counts
sub header { my ($id, $flags, @c) = @_; return pack('n n n n n n', $id, $flags, @c) }

sub question { my ($n, $t, $c) = @_; return name($n) . pack('n n', $type{$t}, $c // 1) }

# rr(owner, type, ttl, rdata-bytes); owner may already be wire form when it starts with \xc0
sub rr {
    my ($owner, $t, $ttl, $rdata) = @_;
    my $o = $owner =~ /^\xc0/ ? $owner : name($owner);
    return $o . pack('n n N n', $type{$t}, 1, $ttl, length $rdata) . $rdata;
}

sub opt { my ($size, $ttl) = @_; return "\0" . pack('n n N n', 41, $size, $ttl // 0, 0) }
sub a { return pack('C4', split /\./, $_[0]) }
sub aaaa_db8 { return pack('n8', 0x2001, 0x0db8, 0, 0, 0, 0, 0, $_[0]) }
sub soa {
    my ($mname, $rname, $min) = @_;
    return name($mname) . name($rname) . pack('N5', 1, 3600, 600, 86400, $min);
}
sub txt { return join '', map { chr(length $_) . $_ } @_ }
# an RRSIG over TYPE (algorithm 13, labels, signer; the signature is filler)
sub rrsig {
    my ($covered, $labels, $signer) = @_;
    return pack('n C C N N N n', $type{$covered}, 13, $labels, 300, 1900000000, 1600000000, 4242)
        . name($signer) . ('s' x 64);
}
# an NSEC to NEXT with the types of window 0 given by number
sub nsec {
    my ($next, @types) = @_;
    my @bits = (0) x 32;
    $bits[$_ >> 3] |= 0x80 >> ($_ & 7) for @types;
    my $len = 1 + (sort { $b <=> $a } map { $_ >> 3 } @types)[0];
    return name($next) . pack('C C', 0, $len) . pack("C$len", @bits[0 .. $len - 1]);
}

# a message: flags, question (name, type), then lists of RRs per section
sub msg {
    my ($id, $flags, $q, $an, $ns, $ar) = @_;
    my @q = $q ? ($q) : ();
    return header($id, $flags, scalar @q, scalar @$an, scalar @$ns, scalar @$ar)
        . join('', @q, @$an, @$ns, @$ar);
}

sub write_seed {
    my ($target, $file, $bytes) = @_;
    make_path("$dir/$target");
    open my $fh, '>:raw', "$dir/$target/$file" or die "$dir/$target/$file: $!";
    print $fh $bytes;
    close $fh or die "$file: $!";
}

# ---- client queries (fuzz_query): control octet, then the packet --------------------------
# control octet: bits 0-1 reply limit, bits 2-3 buffer size, bit 4 stored body lower-cased,
# bit 5 the client is outside the ACL
my $RD = 0x0100;
my %queries = (
    'a-www-local'      => [0x00, msg(1, $RD, question('www.example.test', 'A'), [], [], [])],
    'a-www-edns'       => [0x01, msg(2, $RD, question('WwW.Example.TEST', 'A'), [], [], [opt(1232)])],
    'a-www-do'         => [0x05, msg(3, $RD | 0x0010, question('www.example.test', 'AAAA'), [], [], [opt(4096, 0x8000)])],
    'aaaa-hosts'       => [0x02, msg(4, $RD, question('www.hosts.test', 'AAAA'), [], [], [])],
    'ptr-hosts'        => [0x00, msg(5, $RD, question('10.2.0.192.in-addr.arpa', 'PTR'), [], [], [])],
    'any-localhost'    => [0x00, msg(6, $RD, question('LocalHost', 'ANY'), [], [], [])],
    'txt-big-local'    => [0x00, msg(7, $RD, question('big.example.test', 'TXT'), [], [], [])],
    'txt-big-edns'     => [0x03, msg(8, $RD, question('big.example.test', 'TXT'), [], [], [opt(4096)])],
    'txt-big-cached'   => [0x00, msg(9, $RD, question('big.cached.test', 'TXT'), [], [], [opt(1232)])],
    'a-cached'         => [0x10, msg(10, $RD, question('CaChEd.TeSt', 'A'), [], [], [])],
    'a-nx-cached'      => [0x00, msg(11, $RD, question('nx.cached.test', 'A'), [], [], [])],
    'aaaa-nodata'      => [0x00, msg(12, $RD, question('nodata.cached.test', 'AAAA'), [], [], [])],
    'cname-local'      => [0x00, msg(13, $RD, question('alias.example.test', 'A'), [], [], [])],
    'cname-loop'       => [0x00, msg(14, $RD, question('loop1.example.test', 'A'), [], [], [])],
    'cname-out'        => [0x00, msg(15, $RD, question('out.example.test', 'A'), [], [], [])],
    'wildcard'         => [0x00, msg(16, $RD, question('x.y.wild.example.test', 'A'), [], [], [])],
    'referral'         => [0x00, msg(17, $RD, question('www.sub.example.test', 'A'), [], [], [])],
    'nxdomain-local'   => [0x00, msg(18, $RD, question('nope.example.test', 'A'), [], [], [])],
    'mx-local'         => [0x00, msg(19, $RD, question('example.test', 'MX'), [], [], [])],
    'miss-servfail'    => [0x00, msg(20, $RD, question('www.example.com', 'A'), [], [], [opt(512)])],
    'axfr-refused'     => [0x00, msg(21, 0, question('example.test', 'AXFR'), [], [], [])],
    'opcode-notimp'    => [0x00, msg(22, 0x1000, question('example.test', 'A'), [], [], [])],
    'qdcount-2'        => [0x00, msg(23, $RD, question('a.test', 'A') . question('b.test', 'A'), [], [], [])],
    'edns-badvers'     => [0x00, msg(24, $RD, question('www.example.test', 'A'), [], [], [opt(1232, 0x00010000)])],
    'opt-in-answer'    => [0x00, msg(25, $RD, question('www.example.test', 'A'), [opt(1232)], [], [])],
    'two-opts'         => [0x00, msg(26, $RD, question('www.example.test', 'A'), [], [], [opt(1232), opt(512)])],
    'edns-option'      => [0x00, msg(27, $RD, question('www.example.test', 'A'), [], [],
                               ["\0" . pack('n n N n n n a4', 41, 1232, 0, 8, 10, 4, 'abcd')])],
    'response-dropped' => [0x00, msg(28, 0x8000, question('www.example.test', 'A'), [], [], [])],
    'short'            => [0x00, pack('n n C', 29, 0, 0)],
    'compressed-qname' => [0x00, header(30, $RD, 1, 0, 0, 0) . "\xc0\x04" . pack('n n', 1, 1)],
    'class-chaos'      => [0x00, msg(31, $RD, question('version.bind', 'TXT', 3), [], [], [])],
    'acl-refused'      => [0x20, msg(33, $RD, question('www.example.test', 'A'), [], [], [opt(1232)])],
    'cd-flag'          => [0x0c, msg(32, $RD | 0x0010, question('www.example.test', 'A'), [], [], [opt(1232)])],
);
write_seed('query', $_, chr($queries{$_}[0]) . $queries{$_}[1]) for keys %queries;

# ---- upstream replies (fuzz_upstream): control octet, then the reply ----------------------
# control octet: bits 0-2 labels of the zone asked (full question), bit 3 minimised question,
# bits 4-5 original type when minimised, bit 6 limit / qname minimisation, bit 7 client EDNS
my $QR = 0x8000;
my $AA = 0x0400;
my %upstream = (
    'referral-glue' => [0x01, msg(100, $QR, question('www.example.com', 'A'), [],
        [rr('example.com', 'NS', 172800, name('ns1.example.com')),
         rr('example.com', 'NS', 172800, name('ns2.example.net'))],
        [rr('ns1.example.com', 'A', 172800, a('192.0.2.53')),
         rr('ns1.example.com', 'AAAA', 172800, aaaa_db8(0x53)),
         rr('ns2.example.net', 'A', 172800, a('198.51.100.2')), opt(1232)])],
    'answer-aa' => [0x02, msg(101, $QR | $AA, question('www.example.com', 'A'),
        [rr('www.example.com', 'A', 300, a('192.0.2.1')), rr('www.example.com', 'A', 300, a('192.0.2.2'))],
        [rr('example.com', 'NS', 3600, name('ns1.example.com'))],
        [rr('ns1.example.com', 'A', 3600, a('192.0.2.53'))])],
    'answer-compressed' => [0x82, msg(102, $QR | $AA, question('www.example.com', 'A'),
        [rr("\xc0\x0c", 'A', 300, a('192.0.2.1'))],
        [rr("\xc0\x10", 'NS', 3600, "\x03ns1\xc0\x10")],
        [rr("\xc0\x3d", 'A', 3600, a('192.0.2.53'))])],
    'cname-chain' => [0x02, msg(103, $QR | $AA, question('www.example.com', 'A'),
        [rr('www.example.com', 'CNAME', 300, name('web.example.com')),
         rr('web.example.com', 'CNAME', 300, name('cdn.example.net')),
         rr('cdn.example.net', 'A', 300, a('203.0.113.9'))], [], [])],
    'cname-empty-rdata' => [0x02, msg(104, $QR | $AA, question('www.example.com', 'A'),
        [rr('www.example.com', 'CNAME', 300, '')], [], [])],
    'nxdomain-soa' => [0x02, msg(105, $QR | $AA | 3, question('nope.example.com', 'A'), [],
        [rr('example.com', 'SOA', 3600, soa('ns1.example.com', 'hostmaster.example.com', 300))], [])],
    'nodata-soa' => [0x02, msg(106, $QR | $AA, question('www.example.com', 'AAAA'), [],
        [rr('example.com', 'SOA', 3600, soa('ns1.example.com', 'hostmaster.example.com', 60))], [])],
    'minimised-ent' => [0x19, msg(107, $QR | $AA, question('example.com', 'A'), [],
        [rr('example.com', 'SOA', 3600, soa('ns1.example.com', 'hostmaster.example.com', 60))], [])],
    'minimised-referral' => [0x08, msg(108, $QR, question('example.com', 'A'), [],
        [rr('example.com', 'NS', 172800, name('ns1.example.com'))],
        [rr('ns1.example.com', 'A', 172800, a('192.0.2.53'))])],
    'priming' => [0x00, msg(109, $QR | $AA, question('.', 'NS'),
        [map { rr('.', 'NS', 518400, name("$_.root-servers.net")) } qw(a b c)], [],
        [rr('a.root-servers.net', 'A', 518400, a('198.41.0.4')),
         rr('b.root-servers.net', 'AAAA', 518400, aaaa_db8(0xb))])],
    'ds-parent' => [0x01, msg(110, $QR | $AA, question('example.com', 'DS'),
        [rr('example.com', 'DS', 86400, pack('n C C', 12345, 13, 2) . ('x' x 32))], [], [])],
    'servfail' => [0x02, msg(111, $QR | 2, question('www.example.com', 'A'), [], [], [])],
    'truncated' => [0x02, msg(112, $QR | 0x0200, question('www.example.com', 'TXT'), [], [], [])],
    'poison-additional' => [0x02, msg(113, $QR | $AA, question('www.example.com', 'A'),
        [rr('www.example.com', 'A', 300, a('192.0.2.1'))],
        [rr('com', 'NS', 172800, name('evil.example.org'))],
        [rr('evil.example.org', 'A', 172800, a('203.0.113.66')),
         rr('www.bank.test', 'A', 172800, a('203.0.113.66')),
         rr('ns1.example.com', 'MX', 300, pack('n', 10) . name('mx.example.com'))])],
    'referral-sideways' => [0x02, msg(114, $QR, question('www.example.com', 'A'), [],
        [rr('example.org', 'NS', 3600, name('ns.example.org'))], [])],
    'ns-answer' => [0x02, msg(115, $QR | $AA, question('example.com', 'NS'),
        [rr('example.com', 'NS', 3600, name('ns1.example.com')),
         rr('example.com', 'NS', 3600, name('ns2.example.com'))], [],
        [rr('ns1.example.com', 'A', 3600, a('192.0.2.53')),
         rr('ns2.example.com', 'A', 3600, a('127.0.0.53'))])],
    'badvers-opt' => [0x02, msg(116, $QR, question('www.example.com', 'A'), [], [],
        [opt(1232, 0x01000000)])],
    # with CD set: fuzz_upstream classifies as for a query with DO (RRSIGs, NSEC kept)
    'signed-wildcard' => [0x02, msg(118, $QR | $AA | 0x0010, question('any.wild.example.com', 'A'),
        [rr('any.wild.example.com', 'A', 300, a('192.0.2.11')),
         rr('any.wild.example.com', 'RRSIG', 300, rrsig('A', 3, 'example.com'))],
        [rr('w.example.com', 'NSEC', 300, nsec('x.example.com', 1, 46, 47)),
         rr('w.example.com', 'RRSIG', 300, rrsig('NSEC', 3, 'example.com'))], [])],
    'signed-nxdomain' => [0x02, msg(119, $QR | $AA | 0x0010 | 3, question('nope.example.com', 'A'), [],
        [rr('example.com', 'SOA', 3600, soa('ns1.example.com', 'hostmaster.example.com', 300)),
         rr('example.com', 'RRSIG', 3600, rrsig('SOA', 2, 'example.com')),
         rr('example.com', 'NSEC', 300, nsec('www.example.com', 2, 6, 46, 47, 48)),
         rr('example.com', 'RRSIG', 300, rrsig('NSEC', 2, 'example.com'))], [])],
    'signed-cname' => [0x02, msg(120, $QR | $AA | 0x0010, question('www.example.com', 'A'),
        [rr('www.example.com', 'CNAME', 300, name('web.example.net')),
         rr('www.example.com', 'RRSIG', 300, rrsig('CNAME', 3, 'example.com'))], [], [])],
    'compressed-question' => [0x00, header(117, $QR | $AA, 1, 1, 0, 0) . "\xc0\x04" . pack('n n', 2, 1)
        . rr("\xc0\x0c", 'NS', 3600, name('a.root-servers.net'))],
);
write_seed('upstream', $_, chr($upstream{$_}[0]) . $upstream{$_}[1]) for keys %upstream;

# ---- config files ---------------------------------------------------------------------------
my %configs = (
    'shipped' => "# like resolver.conf\nlisten 127.0.0.1 53\nlisten ::1\nthreads 2\n"
        . "hosts /etc/hosts\nzone example.lan zones/example.lan.zone\nroot-hints hints/root.hints\n"
        . "cache-size 64M\nmin-ttl 0\nmax-ttl 86400\nmax-negative-ttl 3600\nallow 10.0.0.0/8\n"
        . "deny 10.1.0.0/16\nallow ::1/128\ncontrol /run/resolverd.sock\nlog-level info\n",
    'forwarders' => "forward . 9.9.9.9 149.112.112.112@53 [2620:fe::fe]@53\n"
        . "forward Corp.Example 10.0.0.1@5353\nforward-first yes\nupstream-timeout 500\n",
    'iteration' => "qname-minimisation no\ncase-randomisation no\nroot-priming no\nprefetch yes\n"
        . "serve-stale no\nquery-loopback yes\ndo-ip4 yes\ndo-ip6 no\noutgoing-interface 192.0.2.1\n"
        . "outgoing-interface 2001:db8::1\nedns-buffer-size 1232\nhosts-ttl 60\n",
    'limits' => "tcp-idle-timeout 10000\ntcp-max-connections 256\nuser nobody\ncache-size 64K\n"
        . "max-ttl 10\nmin-ttl 20\n",
    'errors' => "cache-size 1T\nlisten 300.1.1.1\n",
);
write_seed('config', $_, $configs{$_}) for keys %configs;

# ---- hosts files ------------------------------------------------------------------------------
my %hosts = (
    'debian' => "127.0.0.1\tlocalhost\n127.0.1.1\tmachine.example.org machine\n\n"
        . "# The following lines are desirable for IPv6 capable hosts\n"
        . "::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n",
    'blocklist' => join('', map { "0.0.0.0 ad$_.example.com\n" } 1 .. 20),
    'odd' => "192.0.2.1 \\bad name. . ..x a..b\nfe80::1%eth0 scoped\n10.0.0.1\n"
        . "2001:db8::1 Mixed.CASE.example # comment\n\t 192.0.2.2\t\tTab.example\r\n"
        . "1.2.3 short\n" . ("a" x 64) . ".example 192.0.2.9\n192.0.2.3 " . ("b" x 63) . ".x\n",
);
write_seed('hosts', $_, $hosts{$_}) for keys %hosts;

# ---- control commands ----------------------------------------------------------------------------
my %control = (
    'flush' => "flush\n", 'flush-names' => "flush www.example.com example.com\n",
    'flush-zone' => "flush-zone example.com\n", 'flush-type' => "flush-type www.example.com A\n",
    'flush-type-bad' => "flush-type www.example.com BOGUS\n", 'flush-negative' => "flush-negative\n",
    'flush-infra' => "flush-infra\n", 'stats' => "stats\n", 'stats-reset' => "stats-reset\n",
    'status' => "status\n", 'dump-cache' => "dump-cache\n", 'reload' => "reload\n",
    'unknown' => "frobnicate now\n", 'usage' => "flush-type onlyone\n",
    'bad-name' => "flush a..b\n",
    'load-cache' => "load-cache\n; resolverd cache dump time=1700000000\n"
        . "; www.example.test. A IN positive rcode=NOERROR\n"
        . "www.example.test.\t3600\tIN\tA\t192.0.2.1\n"
        . "; nx.example.test. A IN negative rcode=NXDOMAIN\n"
        . "example.test.\t300\tIN\tSOA\tns1.example.test. h.example.test. 1 3600 600 86400 300\n"
        . "; dumped 2 entries\n",
);
write_seed('control', $_, $control{$_}) for keys %control;
