#!/usr/bin/perl
# notify.pl -- a stand-in for systemd's end of $NOTIFY_SOCKET, for tests/e2e/74-sdnotify.t.
#
#   perl notify.pl NAME OUTFILE [SECONDS]
#
# Binds a datagram socket at NAME (a path, or an abstract name when it starts with '@',
# as systemd names them), then writes every datagram it receives to OUTFILE as one line,
# its newlines shown as '|' ("READY=1|STATUS=answering queries"), flushed at once. Stops
# by itself after SECONDS (default 120), or at TERM.
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use IO::Handle;

my ($name, $outfile, $seconds) = @ARGV;
die "usage: notify.pl NAME OUTFILE [SECONDS]\n" unless defined $outfile;
$seconds //= 120;
my $addr = $name =~ /^@/ ? "\0" . substr($name, 1) : $name;
socket(my $sock, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
unlink $name if $name !~ /^@/;
bind($sock, pack_sockaddr_un($addr)) or die "bind $name: $!\n";
open(my $out, '>', $outfile) or die "$outfile: $!\n";
$out->autoflush(1);
print $out "bound\n";
$SIG{ALRM} = sub { exit 0 };
alarm $seconds;
while (1) {
    my $msg;
    defined(recv($sock, $msg, 4096, 0)) or next;
    $msg =~ s/\n/|/g;
    print $out "$msg\n";
}
