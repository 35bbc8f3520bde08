#!/usr/bin/env perl
# tests/e2e/tcdns.pl -- an upstream that answers UDP with TC=1 only, and TCP in full.
#
#   tcdns.pl ADDR PORT LOGFILE [MAXQ]
#
# Every UDP query gets a truncated reply (TC=1, the question echoed, no records), as an
# RRL slip does, so every resolution must go on over TCP. Over TCP every query gets one A
# record 192.0.2.77 (TTL 300) for the asked name, and pipelined queries on one connection
# are answered as they come. LOGFILE (created once both sockets are bound, so a test can
# wait for it) gets one line per event: `udp`, `accept N` (connection N opened),
# `tcp N` (a query on connection N), `close N` (the client closed it). With MAXQ the
# server closes a connection after answering MAXQ queries on it (as servers with a
# per-connection query limit do: NSD's tcp-query-count); a query that came after those is
# dropped unanswered with the connection. Runs until killed.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use FindBin;
use lib $FindBin::Bin;
use DNSWire qw(parse_query);

my ($addr, $port, $log, $maxq) = @ARGV;
die "usage: tcdns.pl ADDR PORT LOGFILE [MAXQ]\n" unless defined $log;
$maxq //= 0;
my $udp = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'udp',
                              ReuseAddr => 1) or die "bind udp $addr:$port: $!\n";
my $tcp = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'tcp',
                              Listen => 64, ReuseAddr => 1) or die "bind tcp $addr:$port: $!\n";
open(my $lf, '>>', $log) or die "$log: $!\n";
$lf->autoflush(1);
my $sel = IO::Select->new($udp, $tcp);
my %conn;       # fileno => {sock, n, buf, answered}
my $next_conn = 0;

sub truncated {
    my ($id, $flags, $question) = parse_query($_[0]);
    return undef unless defined $id;
    return pack('nnnnnn', $id, 0x8600 | ($flags & 0x0100), 1, 0, 0, 0) . $question;
}

sub answer {
    my ($id, $flags, $question) = parse_query($_[0]);
    return undef unless defined $id;
    my $rr = pack('n', 0xc00c) . pack('nnNn', 1, 1, 300, 4) . pack('C4', 192, 0, 2, 77);
    return pack('nnnnnn', $id, 0x8400 | ($flags & 0x0100), 1, 1, 0, 0) . $question . $rr;
}

sub drop_conn {
    my ($c, $why) = @_;
    print $lf "$why $c->{n}\n";
    $sel->remove($c->{sock});
    delete $conn{fileno($c->{sock})};
    close($c->{sock});
}

sub serve_frames {
    my ($c) = @_;
    while (length($c->{buf}) >= 2) {
        my $len = unpack('n', $c->{buf});
        last if length($c->{buf}) < 2 + $len;
        my $q = substr($c->{buf}, 2, $len);
        substr($c->{buf}, 0, 2 + $len) = '';
        print $lf "tcp $c->{n}\n";
        my $r = answer($q);
        next unless defined $r;
        syswrite($c->{sock}, pack('n', length $r) . $r);
        if ($maxq && ++$c->{answered} >= $maxq) {
            drop_conn($c, 'server-close');
            return;
        }
    }
}

for (;;) {
    for my $s ($sel->can_read(1)) {
        if ($s == $udp) {
            my $peer = $udp->recv(my $q, 4096);
            next unless defined $peer;
            print $lf "udp\n";
            my $r = truncated($q);
            send($udp, $r, 0, $peer) if defined $r;
        } elsif ($s == $tcp) {
            my $cs = $tcp->accept or next;
            my $c = { sock => $cs, n => ++$next_conn, buf => '', answered => 0 };
            $conn{fileno($cs)} = $c;
            $sel->add($cs);
            print $lf "accept $c->{n}\n";
        } else {
            my $c = $conn{fileno($s)} or next;
            my $n = sysread($s, my $data, 65536);
            if (!$n) {
                drop_conn($c, 'close');
                next;
            }
            $c->{buf} .= $data;
            serve_frames($c);
        }
    }
}
