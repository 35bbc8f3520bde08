#!/usr/bin/env perl
# tests/e2e/slowdns.pl -- a scriptable slow upstream for the end-to-end tests.
#
#   slowdns.pl ADDR PORT DELAY_MS LOGFILE
#
# Answers every query (UDP) with one A record 192.0.2.77 (TTL 300) for the asked name,
# DELAY_MS after it arrived, and appends one line per query received to LOGFILE (created
# once the socket is bound, so a test can wait for it). Used to hold a resolution in flight
# long enough for other clients to join it. Runs until killed.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(time);

my ($addr, $port, $delay_ms, $log) = @ARGV;
die "usage: slowdns.pl ADDR PORT DELAY_MS LOGFILE\n" unless defined $log;
my $sock = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'udp',
                               ReuseAddr => 1) or die "bind $addr:$port: $!\n";
open(my $lf, '>>', $log) or die "$log: $!\n";
$lf->autoflush(1);
my $sel = IO::Select->new($sock);
my @due;    # [time, peer, reply]

sub answer_for {
    my ($q) = @_;
    return undef if length($q) < 12;
    my ($id, $flags, $qd) = unpack('nnn', $q);
    return undef if $qd != 1 || ($flags & 0x8000);
    my $pos = 12;
    while ($pos < length($q)) {
        my $l = ord(substr($q, $pos, 1));
        $pos += 1 + $l;
        last if $l == 0;
    }
    return undef if $pos + 4 > length($q);
    my $question = substr($q, 12, $pos + 4 - 12);
    my $hdr = pack('nnnnnn', $id, 0x8180 | ($flags & 0x0100), 1, 1, 0, 0);
    my $rr = pack('n', 0xc00c) . pack('nnNn', 1, 1, 300, 4) . pack('C4', 192, 0, 2, 77);
    return $hdr . $question . $rr;
}

for (;;) {
    my $timeout = @due ? $due[0][0] - time() : 1;
    $timeout = 0 if $timeout < 0;
    if ($sel->can_read($timeout)) {
        my $peer = $sock->recv(my $q, 4096);
        if (defined $peer) {
            print $lf "query\n";
            my $reply = answer_for($q);
            push @due, [time() + $delay_ms / 1000, $peer, $reply] if defined $reply;
        }
    }
    while (@due && $due[0][0] <= time()) {
        my $d = shift @due;
        send($sock, $d->[2], 0, $d->[1]);
    }
}
