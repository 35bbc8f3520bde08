#!/usr/bin/perl
# tests/e2e/loadcheck.pl -- a checking load client for the concurrency tests: sends many
# queries over UDP or pipelined TCP and checks every reply against its own query: the ID is
# one it is waiting for, the question is that query's name (any case) and type, and, for a
# name of the form nN.ZONE (type A), the first A record is 10.0.X.Y with X.Y = N (the test
# zone maps them so), so a reply meant for another question cannot pass. perl-base only.
#
#   loadcheck.pl ADDR PORT udp|tcp COUNT SECONDS NAMES
#        NAMES: comma-separated names, or @FILE with one a line, asked in turn (type A). UDP keeps up to 64 queries
#        outstanding; TCP opens a connection per 32 queries, all written at once, then reads
#        them. Stops after COUNT queries or SECONDS, then waits up to 3 s for stragglers.
#        Prints "sent=N answered=N mismatched=N wronganswer=N unanswered=N noerror=N".
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::Bin;
use DNSWire qw(encode_name read_name);

my ($addr, $port, $proto, $count, $seconds, $names) = @ARGV;
die "usage: loadcheck.pl ADDR PORT udp|tcp COUNT SECONDS NAMES\n" unless defined $names;
my @names;
if ($names =~ /^@(.*)/) {                   # @FILE: one name a line (long lists)
    open my $fh, '<', $1 or die "$1: $!\n";
    chomp(@names = <$fh>);
} else {
    @names = split /,/, $names;
}
my %st = map { $_ => 0 } qw(sent answered mismatched wronganswer unanswered noerror);
my %waiting;                                # id => [name, type]
my $next_id = int(rand(65536));

sub query {
    my ($id, $name) = @_;
    # random case on every query: the reply must carry it back (0x20)
    my $mixed = join '', map { rand() < 0.5 ? uc : lc } split //, $name;
    return (pack('nnnnnn', $id, 0x0100, 1, 0, 0, 0) . encode_name($mixed) . pack('nn', 1, 1), $mixed);
}

sub check_reply {
    my $pkt = shift;
    return $st{mismatched}++ if length $pkt < 12;
    my ($id, $flags, $qd, $an) = unpack 'nnnn', $pkt;
    my $q = delete $waiting{$id};
    return $st{mismatched}++ unless $q && $qd == 1;
    my ($qname, $pos) = read_name($pkt, 12);
    return $st{mismatched}++ unless defined $pos && $pos + 4 <= length $pkt;
    my ($qtype) = unpack 'n', substr($pkt, $pos, 2);
    # the exact case we sent must come back
    return $st{mismatched}++ unless $qname eq $q->[0] && $qtype == 1;
    $st{answered}++;
    return unless ($flags & 0x000f) == 0;
    $st{noerror}++;
    return unless $q->[0] =~ /^n(\d+)\./i;
    my $want = sprintf '10.0.%d.%d', int($1 / 256), $1 % 256;
    $pos += 4;
    for (1 .. $an) {
        my ($owner, $p) = read_name($pkt, $pos);
        return $st{wronganswer}++ unless defined $p && $p + 10 <= length $pkt;
        my ($type, $class, $ttl, $rdlen) = unpack 'nnNn', substr($pkt, $p, 10);
        if ($type == 1 && $rdlen == 4) {
            my $got = join '.', unpack 'C4', substr($pkt, $p + 10, 4);
            $st{wronganswer}++ if $got ne $want;
            return;
        }
        $pos = $p + 10 + $rdlen;
    }
    $st{wronganswer}++;                     # NOERROR without the A record
}

my $deadline = time + $seconds;
my $i = 0;
sub next_query {
    my $name = $names[$i++ % @names];
    my $id = $next_id++ & 0xffff;
    my ($pkt, $mixed) = query($id, $name);
    $waiting{$id} = [$mixed =~ /\.$/ ? $mixed : "$mixed.", 1];
    $st{sent}++;
    return $pkt;
}

if ($proto eq 'udp') {
    my $s = IO::Socket::INET->new(Proto => 'udp', PeerAddr => $addr, PeerPort => $port)
        or die "socket: $!";
    my $sel = IO::Select->new($s);
    while ($st{sent} < $count && time < $deadline) {
        $s->send(next_query()) while keys %waiting < 64 && $st{sent} < $count;
        if ($sel->can_read(0.5)) {
            my $buf;
            check_reply($buf) while $sel->can_read(0) && defined $s->recv($buf, 65535);
        } elsif (keys %waiting >= 64) {
            $st{unanswered} += keys %waiting;  # lost: stop waiting for them
            %waiting = ();
        }
    }
    my $end = time + 3;
    while (keys %waiting && time < $end) {
        next unless $sel->can_read(0.2);
        my $buf;
        check_reply($buf) if defined $s->recv($buf, 65535);
    }
} else {
    while ($st{sent} < $count && time < $deadline) {
        my $s = IO::Socket::INET->new(Proto => 'tcp', PeerAddr => $addr, PeerPort => $port,
                                      Timeout => 3) or die "connect: $!";
        my $out = '';
        for (1 .. 32) { last if $st{sent} >= $count; my $q = next_query(); $out .= pack('n', length $q) . $q; }
        print $s $out;
        my $sel = IO::Select->new($s);
        my $buf = '';
        my $end = time + 5;
        while (keys %waiting && time < $end && $sel->can_read(1)) {
            my $n = sysread $s, $buf, 65536, length $buf;
            last unless $n;
            while (length $buf >= 2 && length $buf >= 2 + unpack('n', $buf)) {
                my $len = unpack 'n', $buf;
                check_reply(substr($buf, 2, $len));
                substr($buf, 0, 2 + $len) = '';
            }
        }
        close $s;
        $st{unanswered} += keys %waiting;
        %waiting = ();
    }
}
$st{unanswered} += keys %waiting;
print join(' ', map { "$_=$st{$_}" } qw(sent answered mismatched wronganswer unanswered noerror)), "\n";
