#!/usr/bin/perl
# tests/e2e/burst.pl -- sends COUNT UDP queries for NAME (type A) back to back from SRC,
# then reads replies for WAIT_MS; prints "sent=N answered=N tc=N" (answered: replies
# without TC; tc: replies with TC=1). For `ratelimit`. perl-base only.
#   burst.pl SRC ADDR PORT NAME COUNT WAIT_MS
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($src, $addr, $port, $name, $count, $wait_ms) = @ARGV;
die "usage: burst.pl SRC ADDR PORT NAME COUNT WAIT_MS\n" unless defined $wait_ms;
my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $src, PeerAddr => $addr,
                              PeerPort => $port) or die "socket: $!";
my $qname = join('', map { chr(length $_) . $_ } split /\./, $name) . "\0";
for my $id (1 .. $count) {
    $s->send(pack('nnnnnn', $id, 0x0100, 1, 0, 0, 0) . $qname . pack('nn', 1, 1));
}
my ($answered, $tc) = (0, 0);
my $sel = IO::Select->new($s);
my $deadline = time + $wait_ms / 1000 + 1;
while ($sel->can_read($wait_ms / 1000)) {
    my $buf;
    last unless defined $s->recv($buf, 65535) && length $buf >= 12;
    my $flags = unpack 'x2n', $buf;
    if ($flags & 0x0200) { $tc++ } else { $answered++ }
    last if time > $deadline;
}
print "sent=$count answered=$answered tc=$tc\n";
