#!/usr/bin/env perl
# tests/e2e/stripdo.pl -- a forwarder that strips DNSSEC signatures, as some middleboxes and
# old forwarders do: every UDP query it gets goes on to UPSTREAM with the DO bit cleared, so
# the upstream (a resolver) answers without RRSIGs, NSEC or NSEC3; the reply goes back with
# the client's ID. UDP only (answers without signatures are small). perl-base only.
#
#   stripdo.pl ADDR PORT UPSTREAM-ADDR UPSTREAM-PORT LOGFILE
#
# LOGFILE is created once the socket is bound (the caller waits for it); one line per query
# forwarded ("q id=N do=0|1 qname=NAME"). Runs until TERM.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use FindBin;
use lib $FindBin::Bin;
use DNSWire qw(read_name walk_rrs);

my ($ADDR, $PORT, $UP, $UP_PORT, $LOG) = @ARGV;
die "usage: stripdo.pl ADDR PORT UPSTREAM-ADDR UPSTREAM-PORT LOGFILE\n" unless defined $LOG;

my $srv = IO::Socket::IP->new(LocalHost => $ADDR, LocalPort => $PORT, Proto => 'udp', ReuseAddr => 1)
    or die "stripdo.pl: bind $ADDR:$PORT: $@\n";
my $up = IO::Socket::IP->new(PeerHost => $UP, PeerPort => $UP_PORT, Proto => 'udp')
    or die "stripdo.pl: upstream $UP:$UP_PORT: $@\n";
open(my $log, '>>', $LOG) or die "stripdo.pl: $LOG: $!\n";
$log->autoflush(1);
$SIG{TERM} = sub { exit 0 };

my %pending;    # upstream ID -> [client ID, client address, time]
my $next = int(rand 65536);

# the query with DO cleared in its OPT record (the flags are the TTL field's low 16 bits)
sub strip_do {
    my ($pkt) = @_;
    my $had = 0;
    walk_rrs($pkt, sub {
        my ($ttl_off, $type) = @_;
        return unless $type == 41;
        my $hi = ord substr($pkt, $ttl_off + 2, 1);
        $had = 1 if $hi & 0x80;
        substr($pkt, $ttl_off + 2, 1) = chr($hi & 0x7f);
    }) or return;
    return ($pkt, $had);
}

my $sel = IO::Select->new($srv, $up);
while (1) {
    for my $s ($sel->can_read(1)) {
        my $pkt;
        if ($s == $srv) {
            my $peer = $srv->recv($pkt, 65535) // next;
            next if !defined $pkt || length $pkt < 12;
            my ($q, $had) = strip_do($pkt);
            next unless defined $q;
            my $cid = unpack 'n', $q;
            my $uid = $next++ % 65536;
            substr($q, 0, 2) = pack 'n', $uid;
            $pending{$uid} = [$cid, $peer, time];
            my ($qname) = read_name($q, 12);
            print $log "q id=$cid do=$had qname=", $qname // '?', "\n";
            $up->send($q);
        } else {
            $up->recv($pkt, 65535);
            next if !defined $pkt || length $pkt < 12;
            my $p = delete $pending{unpack 'n', $pkt} or next;
            substr($pkt, 0, 2) = pack 'n', $p->[0];
            $srv->send($pkt, 0, $p->[1]);
        }
    }
    my $now = time;
    for (keys %pending) { delete $pending{$_} if $now - $pending{$_}[2] > 30; }
}
