#!/usr/bin/env perl
# tests/e2e/slowdns.pl -- a scriptable slow upstream for the end-to-end tests.
#
#   slowdns.pl ADDR PORT DELAY_MS LOGFILE [RCODE]
#
# Answers every query (UDP) with one A record 192.0.2.77 (TTL 300) for the asked name,
# DELAY_MS after it arrived, and appends one line per query received to LOGFILE (created
# once the socket is bound, so a test can wait for it). Used to hold a resolution in flight
# long enough for other clients to join it. Runs until killed.
#
# With RCODE (a name: FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, or a number 0-15) other
# than NOERROR the reply carries that rcode, the question echoed and no records: a server
# that will not or cannot answer, as a forwarder sees it.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use FindBin;
use lib $FindBin::Bin;
use DNSWire qw(parse_query);

# A fractional clock: Time::HiRes when there (it is not in perl-base), else /proc/uptime.
my $now = eval { require Time::HiRes; \&Time::HiRes::time } // sub {
    open(my $f, '<', '/proc/uptime') or die "/proc/uptime: $!\n";
    return (split ' ', scalar <$f>)[0];
};

my %RCODE = (NOERROR => 0, FORMERR => 1, SERVFAIL => 2, NXDOMAIN => 3, NOTIMP => 4,
             REFUSED => 5);
my ($addr, $port, $delay_ms, $log, $rcode) = @ARGV;
die "usage: slowdns.pl ADDR PORT DELAY_MS LOGFILE [RCODE]\n" unless defined $log;
$rcode //= 0;
$rcode = $RCODE{uc $rcode} if exists $RCODE{uc $rcode};
die "slowdns.pl: bad RCODE $ARGV[4]\n" unless $rcode =~ /^\d+$/ && $rcode < 16;
my $sock = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'udp',
                               ReuseAddr => 1) or die "bind $addr:$port: $!\n";
open(my $lf, '>>', $log) or die "$log: $!\n";
$lf->autoflush(1);
my $sel = IO::Select->new($sock);
my @due;    # [time, peer, reply]

sub answer_for {
    my ($id, $flags, $question) = parse_query($_[0]);
    return undef unless defined $id;
    if ($rcode) {
        return pack('nnnnnn', $id, 0x8180 | ($flags & 0x0100) | $rcode, 1, 0, 0, 0) . $question;
    }
    my $hdr = pack('nnnnnn', $id, 0x8180 | ($flags & 0x0100), 1, 1, 0, 0);
    my $rr = pack('n', 0xc00c) . pack('nnNn', 1, 1, 300, 4) . pack('C4', 192, 0, 2, 77);
    return $hdr . $question . $rr;
}

for (;;) {
    my $timeout = @due ? $due[0][0] - $now->() : 1;
    $timeout = 0 if $timeout < 0;
    if ($sel->can_read($timeout)) {
        my $peer = $sock->recv(my $q, 4096);
        if (defined $peer) {
            print $lf "query\n";
            my $reply = answer_for($q);
            push @due, [$now->() + $delay_ms / 1000, $peer, $reply] if defined $reply;
        }
    }
    while (@due && $due[0][0] <= $now->()) {
        my $d = shift @due;
        send($sock, $d->[2], 0, $d->[1]);
    }
}
