#!/usr/bin/env perl
# tests/e2e/dnsraw.pl -- raw DNS packets and sockets for the end-to-end tests, where dig
# cannot help: malformed queries, pipelined and half-closed TCP, idle/capped TCP connections,
# abusive TCP clients (a never-reading flood, partial frames), a silent upstream, and port
# probing. Uses only modules from Debian's perl-base.
#
#   dnsraw.pl portfree ADDR PORT            exit 0 when ADDR:PORT is free for UDP and TCP
#   dnsraw.pl silent ADDR PORT LOGFILE      UDP server that never answers; appends one line per
#                                           packet received to LOGFILE (created when bound)
#   dnsraw.pl udp ADDR PORT KIND [NAME] [TIMEOUT]
#        KIND: query (normal A query), qd0, qd2, opcode2, badq (QDCOUNT 1, truncated name),
#        short (5 bytes). Prints "noreply" or "reply id=.. idmatch=0|1 qr=.. opcode=..
#        rcode=NAME tc=.. qd=.. an=.. ns=.. ar=.."
#   dnsraw.pl pipeline ADDR PORT NAME[/TYPE]...
#        one TCP connection, all queries written at once, then reads every reply; prints per
#        reply "reply id=.. match=0|1 qname=.. rcode=.. an=..", then "replies=N sent=N".
#   dnsraw.pl idle ADDR PORT SECONDS        connects, sends nothing, prints "closed" when the
#                                           server closes within SECONDS, else "open"
#   dnsraw.pl tcpcap ADDR PORT N NAME       holds N connections (each answered one query),
#                                           then asks NAME on one more: "extra=answered|noreply|
#                                           closed|refused"; closes all, asks again: "after=..."
#   dnsraw.pl halfclose ADDR PORT SECONDS NAME[/TYPE]...
#        like pipeline, but shuts its sending side (SHUT_WR) right after the queries, then reads
#        replies until the server closes or SECONDS pass: the reply lines, then
#        "replies=N sent=N eof=1|0 ms=T" (T: ms from the shutdown to EOF or to giving up).
#   dnsraw.pl flood ADDR PORT NAME[/TYPE] FRAMES SECONDS LOGFILE
#        one TCP connection (small receive buffer) that writes FRAMES pipelined queries for
#        NAME again and again and never reads, until the server closes or resets it, or
#        SECONDS pass. Appends "progress frames=N ms=T" lines to LOGFILE while it writes,
#        and prints (and appends) "closed ms=T frames=N err=.." or "open ms=T frames=N".
#        frames counts whole queries the kernel accepted; ms is from connecting.
#   dnsraw.pl partial ADDR PORT SECONDS [INTERVAL_MS]
#        connects and writes 1 byte of a frame (a length prefix announcing 300 octets); with
#        INTERVAL_MS, one more byte of that frame every INTERVAL_MS (a slow loris), never
#        completing it. Prints "closed ms=T sent=N" when the server closes or resets the
#        connection within SECONDS (ms from connecting), else "open ms=T sent=N".
#   dnsraw.pl mal ADDR PORT udp|tcp SENTINEL_ZONE CASE...
#        malformed (and a few edge-but-valid) queries from a built-in catalogue (`mal list`
#        prints it: "CASE malformed|valid DESCRIPTION"). Each CASE is sent on its own (udp: one
#        socket for all, one datagram each; tcp: a new connection each, framed with its true
#        length) and followed at once by a good query for a new name under SENTINEL_ZONE (the
#        sentinel: its reply bounds the wait, so silence is known without a fixed timeout).
#        Prints per case "CASE reply id=.. idmatch=0|1 qr=.. opcode=.. rcode=NAME opt=0|1
#        ednsver=N|- udp=N|- tc=.. qd=.. an=.. ns=.. ar=.. qname=.. sentinel=RCODE|noreply|closed"
#        (rcode includes the OPT's extended bits: BADVERS) or "CASE noreply sentinel=..";
#        then "malformed=N" (how many of the packets sent were malformed).
#   dnsraw.pl malpipe ADDR PORT SENTINEL_ZONE CASE...
#        the same cases pipelined on ONE TCP connection (all frames in one write, the sentinel
#        last), then reads until the sentinel's reply (and while more come within 0.3 s: late
#        upstream answers): one line per case as above (by ID), then "sentinel=RCODE|noreply|
#        closed replies=N malformed=N" (replies: all read). Framing must survive them all.
#   dnsraw.pl tcplie ADDR PORT DECLARED SENT close|half SECONDS
#        a frame whose length prefix says DECLARED octets, of which SENT (the start of a good
#        query, padded) are written; then `close` (full close, prints "closed-by-client") or
#        `half` (SHUT_WR, then waits up to SECONDS: "eof=1 ms=T replies=N" when the server
#        closed, "eof=0 ..." when it kept the connection open). Counts as 1 malformed packet.
#   dnsraw.pl tcpholdcap ADDR PORT N SECONDS NAME [SYNCDIR]
#        opens N connections that send nothing (idle, as slow clients do), then asks NAME on
#        one more: "extra=answered|noreply|closed|refused". With SYNCDIR it first creates
#        SYNCDIR/held and waits (<= 10 s) for SYNCDIR/go, so the test can make sure the server
#        has accepted the N (with several threads, accepting is not in arrival order). Then
#        it waits (<= SECONDS) until the
#        server has closed all N idle ones: "idle_closed=K ms=T"; then asks again:
#        "after=answered|..".
#   dnsraw.pl forge LOGFILE SERVER RESOLVER_PID FORGED_IP SECONDS STOPFILE [WRONGIDS]
#        an attacker who sees the queries (needs a raw socket: root, or a user namespace's
#        root in its network namespace). Follows LOGFILE (a badns.pl query log) and, for each
#        new UDP query logged there, finds the resolver's socket in /proc/net/udp (a socket of
#        RESOLVER_PID connected to SERVER port 53) and at once sends it forged replies (answer
#        "A FORGED_IP", additional "www.example.test. A FORGED_IP"), each wrong in exactly one
#        way, from raw IPv4 packets with any source: wrongcase (right ID, address and port,
#        one letter's case flipped: one per letter, at most 12), wrongq (right ID, another
#        name), wrongport (right ID and case, from SERVER ports other than 53), wrongaddr
#        (right ID and case, from addresses other than SERVER), wrongid (WRONGIDS replies,
#        default 400, every ID but the right one, everything else right). Runs until STOPFILE
#        exists or SECONDS pass. Prints "ready" once it follows LOGFILE, and at the end
#        "queries=N portmatch=N wrongcase=N wrongq=N wrongport=N wrongaddr=N wrongid=N total=N"
#        (portmatch: queries whose source port /proc/net/udp showed as the resolver's socket).
use strict;
use warnings;
use Socket;
use IO::Socket::IP;
use IO::Select;

my %RCODE = (0 => 'NOERROR', 1 => 'FORMERR', 2 => 'SERVFAIL', 3 => 'NXDOMAIN',
             4 => 'NOTIMP', 5 => 'REFUSED', 16 => 'BADVERS');
my %TYPE = (A => 1, NS => 2, CNAME => 5, SOA => 6, PTR => 12, MX => 15, TXT => 16, AAAA => 28);

sub encode_name {
    my ($name) = @_;
    $name =~ s/\.$//;
    my $wire = '';
    $wire .= chr(length $_) . $_ for grep { length } split /\./, $name;
    return $wire . "\0";
}
sub question { my ($name, $type) = @_; return encode_name($name) . pack('nn', $TYPE{$type // 'A'} // 1, 1); }
sub header { my ($id, $flags, $qd) = @_; return pack('nnnnnn', $id, $flags, $qd, 0, 0, 0); }

sub decode_name {   # (packet, offset) -> (name, offset after the name in place)
    my ($p, $off) = @_;
    my (@labels, $end, $jumps);
    while (1) {
        return ('?', length $p) if $off >= length $p;
        my $len = ord substr($p, $off, 1);
        if (($len & 0xC0) == 0xC0) {
            $end //= $off + 2;
            return ('?', length $p) if ++$jumps > 20 || $off + 1 >= length $p;
            $off = unpack('n', substr($p, $off, 2)) & 0x3FFF;
            next;
        }
        $off++;
        last if $len == 0;
        push @labels, substr($p, $off, $len);
        $off += $len;
    }
    return ((@labels ? join('.', @labels) : '') . '.', $end // $off);
}

sub describe {      # one reply -> hash
    my ($r) = @_;
    return undef if length $r < 12;
    my ($id, $fl, $qd, $an, $ns, $ar) = unpack('nnnnnn', $r);
    my %d = (id => $id, qr => ($fl >> 15) & 1, opcode => ($fl >> 11) & 15, tc => ($fl >> 9) & 1,
             rcode => $RCODE{$fl & 15} // ($fl & 15), qd => $qd, an => $an, ns => $ns, ar => $ar,
             qname => '');
    ($d{qname}) = decode_name($r, 12) if $qd >= 1;
    return \%d;
}

sub udp_sock {
    my ($addr, $port) = @_;
    my $s = IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Proto => 'udp');
    return $s || die "udp socket: $!\n";
}
sub wait_readable { my ($s, $t) = @_; return IO::Select->new($s)->can_read($t); }

sub tcp_connect {
    my ($addr, $port) = @_;
    return IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Proto => 'tcp', Timeout => 2);
}
sub read_exact {    # reads n bytes within timeout; undef on EOF/timeout
    my ($s, $n, $t) = @_;
    my $buf = '';
    while (length $buf < $n) {
        return undef unless wait_readable($s, $t);
        my $got = sysread($s, $buf, $n - length $buf, length $buf);
        return undef unless $got;
    }
    return $buf;
}
sub tcp_reply {     # one length-prefixed reply, or undef on EOF or timeout
    my ($s, $t) = @_;
    my $l = read_exact($s, 2, $t);
    return undef unless defined $l;
    return read_exact($s, unpack('n', $l), $t);
}
sub tcp_ask {       # 'answered', 'noreply' or 'closed'
    my ($s, $name, $t) = @_;
    my $q = header(int(rand 65536), 0x0100, 1) . question($name, 'A');
    return 'closed' unless defined syswrite($s, pack('n', length $q) . $q);
    return 'answered' if defined tcp_reply($s, $t);
    # no reply: tell a closed connection from a silent one
    return 'closed' if wait_readable($s, 0) && !sysread($s, my $x, 1);
    return 'noreply';
}

# now(): seconds (fractional) on a monotonic clock. Time::HiRes is not in perl-base, and
# perl's time() counts whole seconds: /proc/uptime gives hundredths.
sub now {
    open(my $f, '<', '/proc/uptime') or die "/proc/uptime: $!\n";
    my ($up) = split ' ', scalar <$f>;
    return $up;
}
# queries_for(NAME[/TYPE]...) -> ({id => lowercased qname.}, the queries framed for TCP)
sub queries_for {
    my (%want, $out);
    my $id = int(rand 60000);
    for my $nt (@_) {
        my ($n, $t) = split m{/}, $nt;
        $id = ($id + 1) % 65536;
        $want{$id} = lc($n =~ s/\.?$/./r);
        my $q = header($id, 0x0100, 1) . question($n, $t // 'A');
        $out .= pack('n', length $q) . $q;
    }
    return (\%want, $out);
}
# peer_gone(SOCKET): the server closed or reset the connection (reads EOF or an error).
sub peer_gone {
    my ($s) = @_;
    return 0 unless wait_readable($s, 0);
    my $got = sysread($s, my $x, 1);
    return !$got;
}

# ---- the malformed-query catalogue (mal, malpipe) ---------------------------------------------
# Every case is built around the good question "www.example.test A IN" with ID $id. The list
# keeps its order (`mal list`); the flag says whether the packet is malformed (counted) or a
# valid edge case sent as a control.
sub hdr { my ($id, $flags, $qd, $an, $ns, $ar) = @_; return pack('nnnnnn', $id, $flags, $qd, $an // 0, $ns // 0, $ar // 0); }
sub opt_rr {    # (udp size, ttl field: ext-rcode.version.DO/Z, rdata, owner wire)
    my ($size, $ttl, $rdata, $owner) = @_;
    return ($owner // "\0") . pack('nnNn', 41, $size, $ttl, length $rdata) . $rdata;
}
my $QN = encode_name('www.example.test');
my $QQ = $QN . pack('nn', 1, 1);
my $OPT = opt_rr(1232, 0, '');
my $A_RR = "\xc0\x0c" . pack('nnNn', 1, 1, 300, 4) . pack('C4', 192, 0, 2, 1);
sub qtype_q { my ($id, $type, $class) = @_; return hdr($id, 0x0100, 1) . $QN . pack('nn', $type, $class // 1); }
# a name of exactly LEN octets (wire form) under example.test (LEN >= 16)
sub long_name {
    my ($len) = @_;
    my $tail = encode_name('example.test');     # 14 octets
    my $left = $len - length $tail;
    my $w = '';
    while ($left > 0) {
        my $l = $left > 64 ? 63 : $left - 1;
        $l = 62 if $left - ($l + 1) == 1;       # never leave 1 octet (no 0-length label)
        $w .= chr($l) . ('a' x $l);
        $left -= $l + 1;
    }
    return $w . $tail;
}
my @MAL = (
    # name, malformed?, builder(id, proto), description
    (map { my $n = $_; ["short$n", 1, sub { substr(hdr($_[0], 0x0100, 1) . $QQ, 0, $n) }, "only $n octet(s) of the header"] } 0 .. 11),
    ['qr', 1, sub { hdr($_[0], 0x8100, 1) . $QQ }, 'QR=1: a response sent as a query'],
    ['qd0', 1, sub { hdr($_[0], 0x0100, 0) }, 'QDCOUNT 0, no question'],
    ['qd0opt', 1, sub { hdr($_[0], 0x0100, 0, 0, 0, 1) . $OPT }, 'QDCOUNT 0 with an OPT'],
    ['qd2', 1, sub { hdr($_[0], 0x0100, 2) . $QQ . encode_name('mail.example.test') . pack('nn', 1, 1) }, 'QDCOUNT 2, two questions'],
    ['qd2short', 1, sub { hdr($_[0], 0x0100, 2) . $QQ }, 'QDCOUNT 2, one question present'],
    ['qdmax', 1, sub { hdr($_[0], 0x0100, 65535) . $QQ }, 'QDCOUNT 65535'],
    (map { my $o = $_; ["opcode$o", 1, sub { hdr($_[0], 0x0100 | ($o << 11), 1) . $QQ }, "opcode $o"] } 1, 2, 4, 5, 15),
    ['ptrself', 1, sub { hdr($_[0], 0x0100, 1) . "\xc0\x0c" . pack('nn', 1, 1) }, 'question name: a pointer to itself'],
    ['ptrloop', 1, sub { hdr($_[0], 0x0100, 1) . "\x03www\xc0\x0c" . pack('nn', 1, 1) }, 'question name: www + pointer back to its start (loop)'],
    ['ptrfwd', 1, sub { hdr($_[0], 0x0100, 1) . "\xc0\x12" . pack('nn', 1, 1) . $QN }, 'question name: a forward pointer to a name after the question'],
    ['ptroob', 1, sub { hdr($_[0], 0x0100, 1) . "\xff\xff" . pack('nn', 1, 1) }, 'question name: a pointer to offset 16383 (out of bounds)'],
    ['ptrhdr', 1, sub { hdr($_[0], 0x0100, 1) . "\xc0\x00" . pack('nn', 1, 1) }, 'question name: a pointer into the header'],
    ['ptrhalf', 1, sub { hdr($_[0], 0x0100, 1) . "\x03www\xc0" }, 'question name: half a pointer at the end'],
    ['label64', 1, sub { hdr($_[0], 0x0100, 1) . "\x40" . ('a' x 64) . encode_name('example.test') . pack('nn', 1, 1) }, 'a 64-octet label'],
    ['label80', 1, sub { hdr($_[0], 0x0100, 1) . "\x80" . ('a' x 20) . encode_name('example.test') . pack('nn', 1, 1) }, 'label type 0x80 (reserved)'],
    ['label63', 0, sub { hdr($_[0], 0x0100, 1) . "\x3f" . ('a' x 63) . encode_name('example.test') . pack('nn', 1, 1) }, 'a 63-octet label (valid)'],
    ['name255', 0, sub { hdr($_[0], 0x0100, 1) . long_name(255) . pack('nn', 1, 1) }, 'a name of 255 octets (valid)'],
    ['name256', 1, sub { hdr($_[0], 0x0100, 1) . long_name(256) . pack('nn', 1, 1) }, 'a name of 256 octets'],
    ['name300', 1, sub { hdr($_[0], 0x0100, 1) . long_name(300) . pack('nn', 1, 1) }, 'a name of 300 octets'],
    ['noterm', 1, sub { hdr($_[0], 0x0100, 1) . "\x03www\x07example" }, 'the name runs off the end'],
    ['noqtype', 1, sub { hdr($_[0], 0x0100, 1) . $QN }, 'no QTYPE/QCLASS'],
    ['halfqtype', 1, sub { hdr($_[0], 0x0100, 1) . $QN . "\0\x01\0" }, '3 of the 4 QTYPE/QCLASS octets'],
    ['an1', 1, sub { hdr($_[0], 0x0100, 1, 1) . $QQ . $A_RR }, 'ANCOUNT 1: an A record in a query'],
    ['ns1', 1, sub { hdr($_[0], 0x0100, 1, 0, 1) . $QQ . $A_RR }, 'NSCOUNT 1: an A record in a query'],
    ['anhuge', 1, sub { hdr($_[0], 0x0100, 1, 65535) . $QQ }, 'ANCOUNT 65535, no records'],
    ['nshuge', 1, sub { hdr($_[0], 0x0100, 1, 0, 65535) . $QQ }, 'NSCOUNT 65535, no records'],
    ['arhuge', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 65535) . $QQ . $OPT }, 'ARCOUNT 65535, one OPT'],
    ['allhuge', 1, sub { hdr($_[0], 0x0100, 1, 65535, 65535, 65535) . $QQ . ($A_RR x 40) }, 'every count 65535, 40 records'],
    ['ar2', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 2) . $QQ . $A_RR . $OPT }, 'ARCOUNT 2: an A record, then the OPT'],
    ['arptrloop', 1, sub { my $o = 12 + length $QQ; hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . pack('n', 0xc000 | $o) . pack('nnNn', 1, 1, 300, 4) . "\1\2\3\4" }, 'an additional record whose owner points to itself'],
    ['rrrdlen', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . "\xc0\x0c" . pack('nnNn', 1, 1, 300, 400) . "\1\2\3\4" }, 'an additional record whose RDLENGTH runs past the end'],
    ['optrdlen', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . "\0" . pack('nnNn', 41, 1232, 0, 100) }, 'OPT with RDLENGTH 100 and no data'],
    ['optoptlen', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 0, pack('nn', 10, 50) . ('x' x 8)) }, 'OPT with an option longer than the rdata'],
    ['optopthalf', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 0, "\0\x0a\0") }, 'OPT with 3 octets of option header'],
    ['opt2', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 2) . $QQ . $OPT . $OPT }, 'two OPT records'],
    ['optan', 1, sub { hdr($_[0], 0x0100, 1, 1) . $QQ . $OPT }, 'OPT in the answer section'],
    ['optns', 1, sub { hdr($_[0], 0x0100, 1, 0, 1) . $QQ . $OPT }, 'OPT in the authority section'],
    ['optowner', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 0, '', encode_name('x')) }, 'OPT owned by x. (not the root)'],
    ['optownerptr', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 0, '', "\xc0\x0c") }, 'OPT owned by a pointer to the question name'],
    ['ednsv1', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 1 << 16, '') }, 'EDNS version 1'],
    ['ednsv255', 1, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 255 << 16, '') }, 'EDNS version 255'],
    ['optsize0', 0, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(0, 0, '') }, 'EDNS UDP size 0 (valid: taken as 512)'],
    ['optunknown', 0, sub { hdr($_[0], 0x0100, 1, 0, 0, 1) . $QQ . opt_rr(1232, 0, pack('nn', 65001, 4) . 'abcd') }, 'an unknown EDNS option (valid: ignored)'],
    ['tcbit', 1, sub { hdr($_[0], 0x0300, 1) . $QQ }, 'TC=1 in a query'],
    ['zbit', 0, sub { hdr($_[0], 0x0140, 1) . $QQ }, 'the Z bit set (valid: ignored)'],
    ['trailing', 0, sub { hdr($_[0], 0x0100, 1) . $QQ . ("\xff" x 40) }, '40 octets of garbage after the question (valid: ignored)'],
    (map { my ($n, $t) = @$_; ["qtype$n", 1, sub { qtype_q($_[0], $t) }, "QTYPE $n ($t, a meta-type)"] }
        ['opt', 41], ['tkey', 249], ['tsig', 250], ['mailb', 253], ['maila', 254], ['128', 128], ['248', 248]),
    ['qtypeaxfr', 0, sub { qtype_q($_[0], 252) }, 'QTYPE AXFR (a zone transfer)'],
    ['qtypeixfr', 0, sub { qtype_q($_[0], 251) }, 'QTYPE IXFR (a zone transfer)'],
    ['qtype0', 0, sub { qtype_q($_[0], 0) }, 'QTYPE 0 (reserved)'],
    (map { my ($n, $c) = @$_; ["class$n", 0, sub { qtype_q($_[0], 1, $c) }, "QCLASS $n ($c)"] }
        ['ch', 3], ['hs', 4], ['none', 254], ['any', 255], ['65280', 65280], ['0', 0]),
    ['fresh', 0, sub { hdr($_[0], 0x0100, 1) . encode_name("f$$-" . int(rand 1e9) . '.example.test') . pack('nn', 1, 1) }, 'a good query for a name never asked before (forwarded)'],
    ['big', 1, sub { my $p = hdr($_[0], 0x0100, 1) . $QQ; $p . ("\0" x (($_[1] eq 'udp' ? 65507 : 65535) - length $p)) }, 'the largest message (65507 octets over UDP, 65535 over TCP): a query, then zeros'],
    ['bigjunk', 1, sub { my $p = hdr($_[0], 0x0100, 1, 0, 0, 65535) . $QQ; $p . ("\xc0" x (($_[1] eq 'udp' ? 65507 : 65535) - length $p)) }, 'the largest message: ARCOUNT 65535 and 0xc0 octets'],
);
my %MAL = map { $_->[0] => $_ } @MAL;

# describe_full(reply, sent id) -> the one-line description of a reply (with OPT details)
sub describe_full {
    my ($r, $id) = @_;
    my $d = describe($r) or return 'reply short';
    my ($off, $opt, $ver, $udp, $ext) = (12, 0, '-', '-', 0);
    for (1 .. $d->{qd}) { (undef, $off) = decode_name($r, $off); $off += 4; }
    my $rrs = $d->{an} + $d->{ns} + $d->{ar};
    for my $i (1 .. $rrs) {
        last if $off >= length $r;
        (undef, $off) = decode_name($r, $off);
        last if $off + 10 > length $r;
        my ($type, $class, $ttl, $rdlen) = unpack('nnNn', substr($r, $off, 10));
        if ($type == 41 && $i > $d->{an} + $d->{ns}) {
            ($opt, $udp, $ext, $ver) = (1, $class, $ttl >> 24, ($ttl >> 16) & 0xff);
        }
        $off += 10 + $rdlen;
    }
    my $rc = (unpack('n', substr($r, 2, 2)) & 15) | ($ext << 4);
    return sprintf 'reply id=%d idmatch=%d qr=%d opcode=%d rcode=%s opt=%d ednsver=%s udp=%s tc=%d qd=%d an=%d ns=%d ar=%d qname=%s',
        $d->{id}, $d->{id} == $id ? 1 : 0, $d->{qr}, $d->{opcode}, $RCODE{$rc} // $rc, $opt, $ver, $udp,
        @$d{qw(tc qd an ns ar)}, $d->{qname};
}
my $sentinel_n = 0;
sub sentinel_query {    # (id, zone) -> a good query for a name never asked before
    my ($id, $zone) = @_;
    $sentinel_n++;
    return hdr($id, 0x0100, 1) . encode_name("s$$-$sentinel_n-" . int(rand 1e6) . ".$zone") . pack('nn', 1, 1);
}
sub ids { my $a = int(rand 65536); my $b = ($a + 1 + int(rand 65534)) % 65536; return ($a, $b); }
# mal_udp(socket, case, zone) -> the output line
sub mal_udp {
    my ($s, $c, $zone) = @_;
    my ($id, $sid) = ids();
    send($s, $c->[2]->($id, 'udp'), 0);
    send($s, sentinel_query($sid, $zone), 0);
    my ($case, $sent, $deadline) = (undef, 'noreply', now() + 3);
    while (1) {
        my $left = $deadline - now();
        last if $left <= 0;
        last unless wait_readable($s, $left);
        defined recv($s, my $r, 65535, 0) or last;
        next if length $r < 2;
        my $rid = unpack('n', $r);
        if ($rid == $sid && $sent eq 'noreply') {
            my $d = describe($r);
            $sent = $d ? $d->{rcode} : 'short';
            $deadline = now() + 0.1 if !defined $case;   # a little grace, then silence is silence
        } elsif (!defined $case) {
            $case = describe_full($r, $id);
        }
        last if defined $case && $sent ne 'noreply';
    }
    return sprintf '%s %s sentinel=%s', $c->[0], $case // 'noreply', $sent;
}
# mal_tcp(addr, port, case, zone) -> the output line (a connection of its own)
sub mal_tcp {
    my ($addr, $port, $c, $zone) = @_;
    my ($id, $sid) = ids();
    my $s = tcp_connect($addr, $port) or return "$c->[0] connect-failed";
    my $p = $c->[2]->($id, 'tcp');
    my $q = sentinel_query($sid, $zone);
    my $out = pack('n', length $p) . $p . pack('n', length $q) . $q;
    $SIG{PIPE} = 'IGNORE';
    my $w = 0;
    while ($w < length $out) {
        my $n = syswrite($s, $out, length($out) - $w, $w);
        last unless $n;
        $w += $n;
    }
    my ($case, $sent) = (undef, 'noreply');
    while (1) {
        my $r = tcp_reply($s, 3);
        if (!defined $r) { $sent = 'closed' if $sent eq 'noreply' && peer_gone_or_eof($s); last; }
        next if length $r < 2;
        my $rid = unpack('n', $r);
        if ($rid == $sid) { my $d = describe($r); $sent = $d ? $d->{rcode} : 'short'; last; }
        $case //= describe_full($r, $id);
    }
    # a reply to the case after the sentinel's (it went upstream): a little grace
    if (!defined $case && $sent ne 'closed' && $sent ne 'noreply') {
        my $r = tcp_reply($s, 0.1);
        $case = describe_full($r, $id) if defined $r;
    }
    close $s;
    return sprintf '%s %s sentinel=%s', $c->[0], $case // 'noreply', $sent;
}
# true when the peer closed (EOF or reset) -- after a read gave up
sub peer_gone_or_eof {
    my ($s) = @_;
    return 1 unless wait_readable($s, 0.2);
    my $got = sysread($s, my $x, 1);
    return !$got;
}

# ---- forging (forge) ------------------------------------------------------------------------
# udp_ports_of(pid, server addr): the local ports of pid's UDP sockets connected to server:53,
# from /proc/net/udp (addresses in host byte order, hex) and /proc/PID/fd (socket inodes).
sub udp_ports_of {
    my ($pid, $server) = @_;
    my %inodes;
    if (opendir(my $d, "/proc/$pid/fd")) {
        for (readdir $d) { my $l = readlink("/proc/$pid/fd/$_") // next; $inodes{$1} = 1 if $l =~ /^socket:\[(\d+)\]$/; }
    }
    my $rem = sprintf('%08X:0035', unpack('V', inet_aton($server)));
    my @ports;
    open(my $f, '<', '/proc/net/udp') or return ();
    while (<$f>) {
        my @c = split;
        next unless @c > 9 && $c[2] eq $rem && $inodes{$c[9]};
        push @ports, hex((split /:/, $c[1])[1]);
    }
    return @ports;
}
sub ip_udp {    # (src ip, src port, dst ip, dst port, payload) -> raw IPv4 packet
    my ($sip, $sport, $dip, $dport, $data) = @_;
    my $udp = pack('nnnn', $sport, $dport, 8 + length $data, 0) . $data;   # checksum 0: none
    # the kernel fills in the IP checksum (and total length, ID) for IPPROTO_RAW sockets
    return pack('CCnnnCCn', 0x45, 0, 20 + length $udp, 0, 0, 64, 17, 0) . inet_aton($sip)
        . inet_aton($dip) . $udp;
}
sub forged_reply {  # (id, qname wire as sent, qtype, forged ip) -> DNS message
    my ($id, $qwire, $qtype, $ip) = @_;
    my $a = pack('C4', split /\./, $ip);
    return hdr($id, 0x8400, 1, 1, 0, 1) . $qwire . pack('nn', $qtype, 1)
        . "\xc0\x0c" . pack('nnNn', 1, 1, 3600, 4) . $a
        . encode_name('www.example.test') . pack('nnNn', 1, 1, 3600, 4) . $a;
}

my $cmd = shift // die "usage: see the header of $0\n";

if ($cmd eq 'portfree') {
    my ($addr, $port) = @ARGV;
    my $u = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'udp');
    my $t = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'tcp', Listen => 1);
    exit(($u && $t) ? 0 : 1);
}
elsif ($cmd eq 'silent') {
    my ($addr, $port, $log) = @ARGV;
    my $s = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'udp')
        or die "silent: bind $addr:$port: $!\n";
    open(my $fh, '>>', $log) or die "silent: $log: $!\n";
    $fh->autoflush(1);
    $SIG{TERM} = sub { exit 0 };
    while (1) {
        my $from = $s->recv(my $pkt, 65535);
        next unless defined $from;
        my $d = describe($pkt);
        printf $fh "got id=%d qname=%s\n", $d ? ($d->{id}, $d->{qname}) : (0, '?');
    }
}
elsif ($cmd eq 'udp') {
    my ($addr, $port, $kind, $name, $timeout) = @ARGV;
    $name //= 'www.example.test';
    $timeout //= 1.5;
    my $id = int(rand 65536);
    my $q = question($name, 'A');
    my %pkt = (
        query   => header($id, 0x0100, 1) . $q,
        qd0     => header($id, 0x0100, 0),
        qd2     => header($id, 0x0100, 2) . $q . question('mail.example.test', 'A'),
        opcode2 => header($id, 0x0100 | (2 << 11), 1) . $q,
        badq    => header($id, 0x0100, 1) . "\x07example\x04te",
        short   => substr(header($id, 0x0100, 1), 0, 5),
    );
    die "udp: unknown kind $kind\n" unless exists $pkt{$kind};
    my $s = udp_sock($addr, $port);
    $s->send($pkt{$kind}) or die "send: $!\n";
    if (!wait_readable($s, $timeout)) { print "noreply\n"; exit 0; }
    my $r;
    if (!defined $s->recv($r, 65535)) { print "noreply error=$!\n"; exit 0; }
    my $d = describe($r) or do { print "reply short\n"; exit 0 };
    printf "reply id=%d idmatch=%d qr=%d opcode=%d rcode=%s tc=%d qd=%d an=%d ns=%d ar=%d\n",
        $d->{id}, $d->{id} == $id ? 1 : 0, @$d{qw(qr opcode rcode tc qd an ns ar)};
}
elsif ($cmd eq 'pipeline') {
    my ($addr, $port, @names) = @ARGV;
    my $s = tcp_connect($addr, $port) or die "pipeline: connect: $!\n";
    my ($want, $out) = queries_for(@names);
    syswrite($s, $out) == length $out or die "pipeline: short write\n";
    my $n = 0;
    while ($n < @names) {
        my $r = tcp_reply($s, 5) // last;
        my $d = describe($r) // last;
        $n++;
        my $match = (exists $want->{$d->{id}} && lc $d->{qname} eq $want->{$d->{id}}) ? 1 : 0;
        delete $want->{$d->{id}} if $match;
        printf "reply id=%d match=%d qname=%s rcode=%s an=%d\n", $d->{id}, $match, $d->{qname},
            $d->{rcode}, $d->{an};
    }
    printf "replies=%d sent=%d\n", $n, scalar @names;
}
elsif ($cmd eq 'idle') {
    my ($addr, $port, $secs) = @ARGV;
    my $s = tcp_connect($addr, $port) or die "idle: connect: $!\n";
    if (wait_readable($s, $secs)) {
        my $got = sysread($s, my $x, 1);
        print +(defined $got && $got == 0) ? "closed\n" : "data\n";
    } else {
        print "open\n";
    }
}
elsif ($cmd eq 'tcpcap') {
    my ($addr, $port, $n, $name) = @ARGV;
    my @held;
    for (1 .. $n) {
        my $s = tcp_connect($addr, $port) or die "tcpcap: connect $_: $!\n";
        my $r = tcp_ask($s, $name, 2);
        print "held$_=$r\n";
        push @held, $s;
    }
    my $x = tcp_connect($addr, $port);
    print 'extra=', ($x ? tcp_ask($x, $name, 0.8) : 'refused'), "\n";
    close $_ for @held, grep { defined } $x;
    my $ok = 'noreply';
    for (1 .. 20) {    # the server notices the closes asynchronously: retry a little
        my $s = tcp_connect($addr, $port) or next;
        $ok = tcp_ask($s, $name, 0.5);
        close $s;
        last if $ok eq 'answered';
    }
    print "after=$ok\n";
}
elsif ($cmd eq 'halfclose') {
    my ($addr, $port, $secs, @names) = @ARGV;
    my $s = tcp_connect($addr, $port) or die "halfclose: connect: $!\n";
    my ($want, $out) = queries_for(@names);
    syswrite($s, $out) == length $out or die "halfclose: short write\n";
    shutdown($s, SHUT_WR) or die "halfclose: shutdown: $!\n";
    my $t0 = now();
    my ($n, $eof) = (0, 0);
    while (1) {
        my $left = $secs - (now() - $t0);
        last if $left <= 0;
        my $l = read_exact($s, 2, $left);
        if (!defined $l) { $eof = peer_gone($s) ? 1 : 0; last; }
        my $r = read_exact($s, unpack('n', $l), $secs) // last;
        my $d = describe($r) // last;
        $n++;
        my $match = (exists $want->{$d->{id}} && lc $d->{qname} eq $want->{$d->{id}}) ? 1 : 0;
        delete $want->{$d->{id}} if $match;
        printf "reply id=%d match=%d qname=%s rcode=%s an=%d\n", $d->{id}, $match, $d->{qname},
            $d->{rcode}, $d->{an};
    }
    printf "replies=%d sent=%d eof=%d ms=%d\n", $n, scalar @names, $eof, (now() - $t0) * 1000;
}
elsif ($cmd eq 'flood') {
    my ($addr, $port, $nt, $frames, $secs, $log) = @ARGV;
    die "usage: flood ADDR PORT NAME[/TYPE] FRAMES SECONDS LOGFILE\n" unless defined $log;
    $SIG{PIPE} = 'IGNORE';
    open(my $lf, '>>', $log) or die "flood: $log: $!\n";
    $lf->autoflush(1);
    my $s = IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Proto => 'tcp',
                                Timeout => 2) or die "flood: connect: $!\n";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));   # replies pile up at the server
    $s->blocking(0);
    my $t0 = now();
    my (undef, $buf) = queries_for(($nt) x $frames);
    my $flen = length($buf) / $frames;
    my ($sent, $off, $err, $last) = (0, 0, '', 0);
    while (now() - $t0 < $secs) {
        if (!IO::Select->new($s)->can_write(0.05)) {
            # blocked: the server no longer reads. A reset shows as an error on the socket.
            my $e = unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR) // pack('i', 0));
            if ($e) { $err = do { local $! = $e; "$!" }; last; }
        } else {
            my $w = syswrite($s, $buf, length($buf) - $off, $off);
            if (!defined $w) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                $err = "$!";
                last;
            }
            $sent += $w;
            $off = ($off + $w) % length $buf;
        }
        if (now() - $last >= 0.05) {
            $last = now();
            printf $lf "progress frames=%d ms=%d\n", $sent / $flen, ($last - $t0) * 1000;
        }
    }
    my $res = $err ne '' ? sprintf("closed ms=%d frames=%d err=%s", (now() - $t0) * 1000,
                                   $sent / $flen, $err =~ s/\s+/_/gr)
                         : sprintf("open ms=%d frames=%d", (now() - $t0) * 1000, $sent / $flen);
    print $lf "$res\n";
    print "$res\n";
}
elsif ($cmd eq 'partial') {
    my ($addr, $port, $secs, $every_ms) = @ARGV;
    $SIG{PIPE} = 'IGNORE';
    my $s = tcp_connect($addr, $port) or die "partial: connect: $!\n";
    my $t0 = now();
    # a frame announcing 300 octets, of which at most the first 1 + SECONDS/INTERVAL are sent
    my $frame = pack('n', 300) . header(4242, 0x0100, 1) . ("\x3fz" x 200);
    my ($sent, $state, $next) = (0, 'open', 0);
    while ((my $now = now()) - $t0 < $secs) {
        if ($now >= $next && ($sent == 0 || $every_ms)) {
            if (!defined syswrite($s, $frame, 1, $sent)) { $state = 'closed'; last; }
            $sent++;
            $next = $now + ($every_ms // 0) / 1000;
        }
        my $wait = $every_ms ? $next - now() : $secs - ($now - $t0);
        $wait = 0.01 if $wait < 0.01;
        if (wait_readable($s, $wait)) {
            if (!sysread($s, my $x, 512)) { $state = 'closed'; last; }   # EOF or reset
        }
    }
    printf "%s ms=%d sent=%d\n", $state, (now() - $t0) * 1000, $sent;
}
elsif ($cmd eq 'mal') {
    my ($addr, $port, $proto, $zone, @cases) = @ARGV;
    if (defined $addr && $addr eq 'list') {
        printf "%s %s %s\n", $_->[0], $_->[1] ? 'malformed' : 'valid', $_->[3] for @MAL;
        exit 0;
    }
    die "usage: mal ADDR PORT udp|tcp SENTINEL_ZONE CASE...\n" unless @cases && $proto =~ /^(udp|tcp)$/;
    my $bad = 0;
    my $s = $proto eq 'udp' ? udp_sock($addr, $port) : undef;
    for my $name (@cases) {
        my $c = $MAL{$name} or die "mal: unknown case $name\n";
        print +($proto eq 'udp' ? mal_udp($s, $c, $zone) : mal_tcp($addr, $port, $c, $zone)), "\n";
        $bad += $c->[1];
    }
    print "malformed=$bad\n";
}
elsif ($cmd eq 'malpipe') {
    my ($addr, $port, $zone, @cases) = @ARGV;
    die "usage: malpipe ADDR PORT SENTINEL_ZONE CASE...\n" unless @cases;
    $SIG{PIPE} = 'IGNORE';
    my $s = tcp_connect($addr, $port) or die "malpipe: connect: $!\n";
    my ($out, $bad, %by_id) = ('', 0);
    my $base = int(rand 60000);
    for my $i (0 .. $#cases) {
        my $c = $MAL{$cases[$i]} or die "malpipe: unknown case $cases[$i]\n";
        my $id = ($base + $i) % 65536;
        my $p = $c->[2]->($id, 'tcp');
        $out .= pack('n', length $p) . $p;
        $by_id{$id} = $c->[0];
        $bad += $c->[1];
    }
    my $sid = ($base + @cases) % 65536;
    my $q = sentinel_query($sid, $zone);
    $out .= pack('n', length $q) . $q;
    my $w = 0;
    while ($w < length $out) {      # blocking socket: writes it all unless the server closes
        my $n = syswrite($s, $out, length($out) - $w, $w);
        last unless $n;
        $w += $n;
    }
    my ($sent, $n, %line) = ('noreply', 0);
    while (1) {
        my $r = tcp_reply($s, 5);
        if (!defined $r) { $sent = 'closed' if peer_gone_or_eof($s); last; }
        $n++;
        next if length $r < 2;
        my $rid = unpack('n', $r);
        if ($rid == $sid) { my $d = describe($r); $sent = $d ? $d->{rcode} : 'short'; }
        $line{$rid} //= describe_full($r, $rid) if exists $by_id{$rid};
        last if $sent ne 'noreply';
    }
    # replies to cases that went upstream may follow the sentinel's: a little grace
    while ($sent ne 'noreply' && $sent ne 'closed') {
        my $r = tcp_reply($s, 0.3) // last;
        $n++;
        my $rid = length $r >= 2 ? unpack('n', $r) : -1;
        $line{$rid} //= describe_full($r, $rid) if exists $by_id{$rid};
    }
    for my $i (0 .. $#cases) {
        my $id = ($base + $i) % 65536;
        printf "%s %s\n", $cases[$i], $line{$id} // 'noreply';
    }
    printf "sentinel=%s replies=%d malformed=%d\n", $sent, $n, $bad;
}
elsif ($cmd eq 'tcplie') {
    my ($addr, $port, $declared, $sentn, $how, $secs) = @ARGV;
    die "usage: tcplie ADDR PORT DECLARED SENT close|half SECONDS\n" unless defined $how;
    $SIG{PIPE} = 'IGNORE';
    my $s = tcp_connect($addr, $port) or die "tcplie: connect: $!\n";
    my $p = hdr(4343, 0x0100, 1) . $QQ;
    $p .= "\0" x ($sentn - length $p) if $sentn > length $p;
    syswrite($s, pack('n', $declared) . substr($p, 0, $sentn));
    if ($how eq 'close') { close $s; print "closed-by-client\n"; exit 0; }
    shutdown($s, SHUT_WR);
    my ($t0, $n, $eof) = (now(), 0, 0);
    while (now() - $t0 < $secs) {
        last unless wait_readable($s, $secs - (now() - $t0));
        my $got = sysread($s, my $x, 4096);
        if (!$got) { $eof = 1; last; }
        $n += $got;
    }
    printf "eof=%d ms=%d replies=%d\n", $eof, (now() - $t0) * 1000, $n;
}
elsif ($cmd eq 'tcpholdcap') {
    my ($addr, $port, $n, $secs, $name, $sync) = @ARGV;
    die "usage: tcpholdcap ADDR PORT N SECONDS NAME [SYNCDIR]\n" unless defined $name;
    my @held;
    for (1 .. $n) { push @held, tcp_connect($addr, $port) // die "tcpholdcap: connect $_: $!\n"; }
    if (defined $sync) {
        open my $f, '>', "$sync/held" or die "tcpholdcap: $sync/held: $!\n";
        close $f;
        my $until = now() + 10;
        select(undef, undef, undef, 0.05) while !-e "$sync/go" && now() < $until;
    }
    my $t0 = now();
    my $x = tcp_connect($addr, $port);
    print 'extra=', ($x ? tcp_ask($x, $name, 0.8) : 'refused'), "\n";
    close $x if $x;
    my %open = map { $_ => $_ } @held;
    while (%open && now() - $t0 < $secs) {
        my @r = IO::Select->new(values %open)->can_read($secs - (now() - $t0));
        for my $h (@r) { my $got = sysread($h, my $b, 1); delete $open{$h} unless $got; }
    }
    printf "idle_closed=%d ms=%d\n", $n - scalar(keys %open), (now() - $t0) * 1000;
    my $ok = 'noreply';
    for (1 .. 20) {
        my $s = tcp_connect($addr, $port) or next;
        $ok = tcp_ask($s, $name, 0.5);
        close $s;
        last if $ok eq 'answered';
    }
    print "after=$ok\n";
}
elsif ($cmd eq 'forge') {
    my ($log, $server, $pid, $ip, $secs, $stop, $nwrong) = @ARGV;
    die "usage: forge LOGFILE SERVER RESOLVER_PID FORGED_IP SECONDS STOPFILE [WRONGIDS]\n" unless defined $stop;
    $nwrong //= 400;
    socket(my $raw, PF_INET, SOCK_RAW, 255) or die "forge: raw socket: $!\n";   # IPPROTO_RAW
    my %n = map { $_ => 0 } qw(queries portmatch wrongcase wrongq wrongport wrongaddr wrongid);
    my $fire = sub {
        my ($dst, $dport, $sip, $sport, $msg, $what) = @_;
        send($raw, ip_udp($sip, $sport, $dst, $dport, $msg), 0, pack_sockaddr_in(0, inet_aton($dst))) and $n{$what}++;
    };
    open(my $lf, '<', $log) or die "forge: $log: $!\n";
    seek($lf, 0, 2);        # only queries from now on
    $| = 1;
    print "ready\n";
    my ($t0, $partial) = (now(), '');
    while (now() - $t0 < $secs && !-e $stop) {
        my $got = sysread($lf, my $chunk, 65536);
        if (!$got) { select(undef, undef, undef, 0.005); next; }
        $partial .= $chunk;
        while ($partial =~ s/^([^\n]*)\n//) {
            my $line = $1;
            next unless $line =~ /^q udp from=([\d.]+)#(\d+) id=(\d+) qname=(\S+) qtype=(\d+)/;
            my ($dst, $dport, $id, $qname, $qtype) = ($1, $2, $3, $4, $5);
            $n{queries}++;
            $n{portmatch}++ if grep { $_ == $dport } udp_ports_of($pid, $server);
            my $qwire = encode_name($qname);
            # wrong case: right ID, address and port; one letter flipped at a time
            my @letters = grep { substr($qwire, $_, 1) =~ /[a-zA-Z]/ } 0 .. length($qwire) - 1;
            for my $i (@letters[0 .. ($#letters < 11 ? $#letters : 11)]) {
                my $w = $qwire;
                substr($w, $i, 1) = substr($w, $i, 1) ^ ' ';
                $fire->($dst, $dport, $server, 53, forged_reply($id, $w, $qtype, $ip), 'wrongcase');
            }
            # wrong question: right ID, address and port, another name
            $fire->($dst, $dport, $server, 53, forged_reply($id, encode_name($_), $qtype, $ip), 'wrongq')
                for 'www.example.test', 'slow.test', "x.$qname", substr($qname, 1) || 'x';
            my $good = forged_reply($id, $qwire, $qtype, $ip);
            # right ID and question, wrong source port, then wrong source address
            $fire->($dst, $dport, $server, $_, $good, 'wrongport') for 5353, 1053, 52, 54, 33333;
            $fire->($dst, $dport, $_, 53, $good, 'wrongaddr') for '127.54.40.99', '127.54.1.1', '127.54.0.1', $dst;
            # wrong IDs: everything else right
            for my $k (1 .. $nwrong) {
                my $wid = ($id + $k * 163) % 65536;     # 163 is odd: never back to $id
                $fire->($dst, $dport, $server, 53, forged_reply($wid, $qwire, $qtype, $ip), 'wrongid');
            }
        }
    }
    my $total = 0;
    $total += $n{$_} for qw(wrongcase wrongq wrongport wrongaddr wrongid);
    printf "queries=%d portmatch=%d wrongcase=%d wrongq=%d wrongport=%d wrongaddr=%d wrongid=%d total=%d\n",
        @n{qw(queries portmatch wrongcase wrongq wrongport wrongaddr wrongid)}, $total;
}
else {
    die "dnsraw.pl: unknown command $cmd\n";
}
