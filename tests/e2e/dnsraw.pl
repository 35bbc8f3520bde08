#!/usr/bin/env perl
# tests/e2e/dnsraw.pl -- raw DNS packets and sockets for the end-to-end tests, where dig
# cannot help: malformed queries, pipelined and half-closed TCP, idle/capped TCP connections,
# abusive TCP clients (a never-reading flood, partial frames), a silent upstream, and port
# probing. Uses only modules from Debian's perl-base.
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
#   dnsraw.pl halfclose ADDR PORT SECONDS NAME[/TYPE]...
#        like pipeline, but shuts its sending side (SHUT_WR) right after the queries, then reads
#        replies until the server closes or SECONDS pass: the reply lines, then
#        "replies=N sent=N eof=1|0 ms=T" (T: ms from the shutdown to EOF or to giving up).
#   dnsraw.pl flood ADDR PORT NAME[/TYPE] FRAMES SECONDS LOGFILE
#        one TCP connection (small receive buffer) that writes FRAMES pipelined queries for
#        NAME again and again and never reads, until the server closes or resets it, or
#        SECONDS pass. Appends "progress frames=N ms=T" lines to LOGFILE while it writes,
#        and prints (and appends) "closed ms=T frames=N err=.." or "open ms=T frames=N".
#        frames counts whole queries the kernel accepted; ms is from connecting.
#   dnsraw.pl partial ADDR PORT SECONDS [INTERVAL_MS]
#        connects and writes 1 byte of a frame (a length prefix announcing 300 octets); with
#        INTERVAL_MS, one more byte of that frame every INTERVAL_MS (a slow loris), never
#        completing it. Prints "closed ms=T sent=N" when the server closes or resets the
#        connection within SECONDS (ms from connecting), else "open ms=T sent=N".
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

# now(): seconds (fractional) on a monotonic clock. Time::HiRes is not in perl-base, and
# perl's time() counts whole seconds: /proc/uptime gives hundredths.
sub now {
    open(my $f, '<', '/proc/uptime') or die "/proc/uptime: $!\n";
    my ($up) = split ' ', scalar <$f>;
    return $up;
}
# queries_for(NAME[/TYPE]...) -> ({id => lowercased qname.}, the queries framed for TCP)
sub queries_for {
    my (%want, $out);
    my $id = int(rand 60000);
    for my $nt (@_) {
        my ($n, $t) = split m{/}, $nt;
        $id = ($id + 1) % 65536;
        $want{$id} = lc($n =~ s/\.?$/./r);
        my $q = header($id, 0x0100, 1) . question($n, $t // 'A');
        $out .= pack('n', length $q) . $q;
    }
    return (\%want, $out);
}
# peer_gone(SOCKET): the server closed or reset the connection (reads EOF or an error).
sub peer_gone {
    my ($s) = @_;
    return 0 unless wait_readable($s, 0);
    my $got = sysread($s, my $x, 1);
    return !$got;
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
    my ($want, $out) = queries_for(@names);
    syswrite($s, $out) == length $out or die "pipeline: short write\n";
    my $n = 0;
    while ($n < @names) {
        my $r = tcp_reply($s, 5) // last;
        my $d = describe($r) // last;
        $n++;
        my $match = (exists $want->{$d->{id}} && lc $d->{qname} eq $want->{$d->{id}}) ? 1 : 0;
        delete $want->{$d->{id}} if $match;
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
elsif ($cmd eq 'halfclose') {
    my ($addr, $port, $secs, @names) = @ARGV;
    my $s = tcp_connect($addr, $port) or die "halfclose: connect: $!\n";
    my ($want, $out) = queries_for(@names);
    syswrite($s, $out) == length $out or die "halfclose: short write\n";
    shutdown($s, SHUT_WR) or die "halfclose: shutdown: $!\n";
    my $t0 = now();
    my ($n, $eof) = (0, 0);
    while (1) {
        my $left = $secs - (now() - $t0);
        last if $left <= 0;
        my $l = read_exact($s, 2, $left);
        if (!defined $l) { $eof = peer_gone($s) ? 1 : 0; last; }
        my $r = read_exact($s, unpack('n', $l), $secs) // last;
        my $d = describe($r) // last;
        $n++;
        my $match = (exists $want->{$d->{id}} && lc $d->{qname} eq $want->{$d->{id}}) ? 1 : 0;
        delete $want->{$d->{id}} if $match;
        printf "reply id=%d match=%d qname=%s rcode=%s an=%d\n", $d->{id}, $match, $d->{qname},
            $d->{rcode}, $d->{an};
    }
    printf "replies=%d sent=%d eof=%d ms=%d\n", $n, scalar @names, $eof, (now() - $t0) * 1000;
}
elsif ($cmd eq 'flood') {
    my ($addr, $port, $nt, $frames, $secs, $log) = @ARGV;
    die "usage: flood ADDR PORT NAME[/TYPE] FRAMES SECONDS LOGFILE\n" unless defined $log;
    $SIG{PIPE} = 'IGNORE';
    open(my $lf, '>>', $log) or die "flood: $log: $!\n";
    $lf->autoflush(1);
    my $s = IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Proto => 'tcp',
                                Timeout => 2) or die "flood: connect: $!\n";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));   # replies pile up at the server
    $s->blocking(0);
    my $t0 = now();
    my (undef, $buf) = queries_for(($nt) x $frames);
    my $flen = length($buf) / $frames;
    my ($sent, $off, $err, $last) = (0, 0, '', 0);
    while (now() - $t0 < $secs) {
        if (!IO::Select->new($s)->can_write(0.05)) {
            # blocked: the server no longer reads. A reset shows as an error on the socket.
            my $e = unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR) // pack('i', 0));
            if ($e) { $err = do { local $! = $e; "$!" }; last; }
        } else {
            my $w = syswrite($s, $buf, length($buf) - $off, $off);
            if (!defined $w) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                $err = "$!";
                last;
            }
            $sent += $w;
            $off = ($off + $w) % length $buf;
        }
        if (now() - $last >= 0.05) {
            $last = now();
            printf $lf "progress frames=%d ms=%d\n", $sent / $flen, ($last - $t0) * 1000;
        }
    }
    my $res = $err ne '' ? sprintf("closed ms=%d frames=%d err=%s", (now() - $t0) * 1000,
                                   $sent / $flen, $err =~ s/\s+/_/gr)
                         : sprintf("open ms=%d frames=%d", (now() - $t0) * 1000, $sent / $flen);
    print $lf "$res\n";
    print "$res\n";
}
elsif ($cmd eq 'partial') {
    my ($addr, $port, $secs, $every_ms) = @ARGV;
    $SIG{PIPE} = 'IGNORE';
    my $s = tcp_connect($addr, $port) or die "partial: connect: $!\n";
    my $t0 = now();
    # a frame announcing 300 octets, of which at most the first 1 + SECONDS/INTERVAL are sent
    my $frame = pack('n', 300) . header(4242, 0x0100, 1) . ("\x3fz" x 200);
    my ($sent, $state, $next) = (0, 'open', 0);
    while ((my $now = now()) - $t0 < $secs) {
        if ($now >= $next && ($sent == 0 || $every_ms)) {
            if (!defined syswrite($s, $frame, 1, $sent)) { $state = 'closed'; last; }
            $sent++;
            $next = $now + ($every_ms // 0) / 1000;
        }
        my $wait = $every_ms ? $next - now() : $secs - ($now - $t0);
        $wait = 0.01 if $wait < 0.01;
        if (wait_readable($s, $wait)) {
            if (!sysread($s, my $x, 512)) { $state = 'closed'; last; }   # EOF or reset
        }
    }
    printf "%s ms=%d sent=%d\n", $state, (now() - $t0) * 1000, $sent;
}
else {
    die "dnsraw.pl: unknown command $cmd\n";
}
