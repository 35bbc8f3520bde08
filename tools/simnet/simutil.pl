#!/usr/bin/env perl
# tools/simnet/simutil.pl -- the fast parts of tools/simnet/simnet, one process instead of
# one dig or nsd-control per server. perl-base only.
#
#   simutil.pl ready SECONDS nsd:PID:ADDR:ZONE... file:PID:PATH...
#        waits until every server is ready: an nsd entry when ADDR (port 53, UDP) answers NOERROR
#        to a question for the SOA of ZONE (asked every 50 ms), a file entry when PATH exists.
#        Exits 0 then; 2 at once when a PID is gone (or a zombie), 1 after SECONDS; either way
#        naming the entries on stderr.
#   simutil.pl queries SOCKET...
#        for each NSD control socket (a unix socket, no keys: NSD's control protocol is the
#        line "NSDCT1 stats_noreset"), prints its num.queries, or "-" when it did not answer.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Socket::UNIX;
use IO::Select;

sub now {
    open(my $f, '<', '/proc/uptime') or die "/proc/uptime: $!\n";
    return (split ' ', scalar <$f>)[0];
}
sub alive {    # pid -> runs (not gone, not a zombie)
    my ($pid) = @_;
    open(my $f, '<', "/proc/$pid/stat") or return 0;
    my $st = <$f> // '';
    return $st =~ /\) ([A-Za-z])/ && $1 ne 'Z' && $1 ne 'X';
}
sub name_wire {
    my ($n) = @_;
    $n =~ s/\.$//;
    my $w = '';
    $w .= chr(length $_) . $_ for grep { length } split /\./, $n;
    return $w . "\0";
}

my $cmd = shift // die "usage: simutil.pl ready SECONDS ENTRY... | queries SOCKET...\n";

if ($cmd eq 'ready') {
    my ($secs, @entries) = @ARGV;
    my $sock = IO::Socket::IP->new(Proto => 'udp', LocalHost => '127.0.0.1') or die "udp: $!\n";
    my (%pending, %files);    # id -> [entry, pid, sockaddr, query]; entry -> [pid, path]
    my $id = int(rand 30000);
    for my $e (@entries) {
        my ($kind, $pid, $rest) = split /:/, $e, 3;
        if ($kind eq 'file') { $files{$e} = [$pid, $rest]; next; }
        my ($addr, $zone) = split /:/, $rest, 2;
        $id++;
        my $q = pack('nnnnnn', $id, 0, 1, 0, 0, 0) . name_wire($zone) . pack('nn', 6, 1);
        my $to = Socket::pack_sockaddr_in(53, Socket::inet_aton($addr));
        $pending{$id} = [$e, $pid, $to, $q];
    }
    my $deadline = now() + $secs;
    my $sel = IO::Select->new($sock);
    while ((%pending || %files) && now() < $deadline) {
        for my $x ((map { [$_->[0], $_->[1]] } values %pending), (map { [$_, $files{$_}[0]] } keys %files)) {
            next if alive($x->[1]);
            print STDERR "exited: $x->[0]\n";
            exit 2;
        }
        for my $f (keys %files) { delete $files{$f} if -e $files{$f}[1]; }
        send($sock, $_->[3], 0, $_->[2]) for values %pending;
        my $until = now() + 0.05;
        while ((my $left = $until - now()) > 0) {
            last unless $sel->can_read($left);
            my $from = $sock->recv(my $r, 4096);
            next unless defined $from && length $r >= 12;
            my ($rid, $fl) = unpack('nn', $r);
            delete $pending{$rid} if exists $pending{$rid} && ($fl & 0x8000) && ($fl & 15) == 0;
        }
    }
    print STDERR "not ready: $_\n" for (map { $_->[0] } values %pending), keys %files;
    exit((%pending || %files) ? 1 : 0);
}
elsif ($cmd eq 'queries') {
    # all servers at once: each takes some milliseconds to gather its children's counters
    my (@socks, @text);
    my $sel = IO::Select->new;
    for my $i (0 .. $#ARGV) {
        my $s = IO::Socket::UNIX->new(Peer => $ARGV[$i], Type => Socket::SOCK_STREAM()) or next;
        print $s "NSDCT1 stats_noreset\n";
        $s->flush;
        $socks[$i] = $s;
        $text[$i] = '';
        $sel->add([$s, $i]);
    }
    my $deadline = now() + 3;
    while ($sel->count && (my $left = $deadline - now()) > 0) {
        for my $h ($sel->can_read($left)) {
            my ($s, $i) = @$h;
            my $got = sysread($s, $text[$i], 65536, length $text[$i]);
            $sel->remove($h) unless $got;
        }
    }
    for my $i (0 .. $#ARGV) {
        print +(defined $text[$i] && $text[$i] =~ /^num\.queries=(\d+)$/m) ? "$1\n" : "-\n";
    }
}
else {
    die "simutil.pl: unknown command $cmd\n";
}
