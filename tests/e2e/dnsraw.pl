#!/usr/bin/env perl
# tests/e2e/dnsraw.pl -- raw DNS packets and sockets for the end-to-end tests, where dig
# cannot help: malformed queries, pipelined TCP, idle/capped TCP connections, a silent
# upstream, and port probing. Uses only modules from Debian's perl-base.
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
use strict;
use warnings;
use Socket;
use IO::Socket::IP;
use IO::Select;

my %RCODE = (0 => 'NOERROR', 1 => 'FORMERR', 2 => 'SERVFAIL', 3 => 'NXDOMAIN',
             4 => 'NOTIMP', 5 => 'REFUSED');
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
    my (%want, $out);
    my $id = int(rand 60000);
    for my $nt (@names) {
        my ($n, $t) = split m{/}, $nt;
        $id++;
        $want{$id} = lc($n =~ s/\.?$/./r);
        my $q = header($id, 0x0100, 1) . question($n, $t // 'A');
        $out .= pack('n', length $q) . $q;
    }
    syswrite($s, $out) == length $out or die "pipeline: short write\n";
    my $n = 0;
    while ($n < @names) {
        my $r = tcp_reply($s, 5) // last;
        my $d = describe($r) // last;
        $n++;
        my $match = (exists $want{$d->{id}} && lc $d->{qname} eq $want{$d->{id}}) ? 1 : 0;
        delete $want{$d->{id}} if $match;
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
else {
    die "dnsraw.pl: unknown command $cmd\n";
}
