#!/usr/bin/perl
# tests/e2e/fastpath.pl -- asks the same question twice over UDP (or TCP) and prints both
# replies in hex with the ID and every TTL blanked, one line each, so the test can compare
# the first reply (a cache miss: the answer the resolution stored, shaped for the client)
# with the second (the cache-hit fast path) byte for byte. perl-base only.
#   fastpath.pl ADDR PORT udp|tcp NAME TYPE EDNS_SIZE(0: none) DO(0|1)
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use IO::Socket::INET;
use IO::Select;
use DNSWire qw(make_query walk_rrs);

my ($addr, $port, $proto, $name, $type, $edns, $do) = @ARGV;
die "usage: fastpath.pl ADDR PORT udp|tcp NAME TYPE EDNS DO\n" unless defined $do;
my %T = (A => 1, NS => 2, CNAME => 5, SOA => 6, MX => 15, TXT => 16, AAAA => 28);
my $qtype = $T{uc $type} // $type;

sub ask {
    my $id = shift;
    my $q = make_query($id, $name, $qtype, $edns, $do);
    my $s = IO::Socket::INET->new(Proto => $proto, PeerAddr => $addr, PeerPort => $port, Timeout => 3)
        or die "socket: $!";
    my $sel = IO::Select->new($s);
    my $buf = '';
    if ($proto eq 'udp') {
        $s->send($q);
        return 'noreply' unless $sel->can_read(3);
        $s->recv($buf, 65535);
    } else {
        print $s pack('n', length $q) . $q;
        while ($sel->can_read(3)) {
            last unless sysread $s, $buf, 65535, length $buf;
            last if length $buf >= 2 && length $buf >= 2 + unpack('n', $buf);
        }
        return 'noreply' unless length $buf >= 2;
        $buf = substr($buf, 2, unpack('n', $buf));
    }
    substr($buf, 0, 2) = "\0\0";                                  # the ID
    walk_rrs($buf, sub { my ($ttl_at, $t) = @_; substr($buf, $ttl_at, 4) = "\0\0\0\0" if $t != 41; })
        or return 'unwalkable ' . unpack('H*', $buf);
    return unpack 'H*', $buf;
}

print ask(0x1234), "\n", ask(0x4321), "\n";
