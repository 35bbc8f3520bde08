#!/usr/bin/env perl
# tools/simnet/badns.pl -- the misbehaving authoritative servers of the simulated internet.
# Uses only perl-base and IO::Socket::IP. Listens on ADDR port 53 (or $BADNS_PORT), UDP and
# TCP (length-prefixed, several queries per connection), and appends one line per query
# received to LOGFILE ("q PROTO from=ADDR id=N qname=NAME qtype=N do=WHAT"); LOGFILE is
# created once every socket is bound, so a caller can wait for it. Runs until TERM.
#
#   badns.pl ADDR LOGFILE MODE [ARGS]
#
# MODEs:
#   silent              reads every query (UDP and TCP) and never answers: a dead server.
#   refused             answers REFUSED to everything: a lame server.
#   upref               answers everything with an upward referral: no answer, AA=0, authority
#                       ". NS a.root.sim." and ". NS b.root.sim.", their A records as
#                       additional data (the referral to the root of a broken server).
#   poison ZONE         authoritative for ZONE (evil.test): an A question for a name in ZONE
#                       gets A 192.0.2.66 (ns1.ZONE: ADDR) -- plus out-of-bailiwick data: in the
#                       authority section "example.test. NS ns1.ZONE.", in the additional
#                       section "www.example.test. A 6.6.6.6" and "ns1.ZONE. A ADDR". An A
#                       question for a name outside ZONE (asked only by a resolver that believed
#                       that NS record) gets an authoritative A 6.6.6.6. A resolver must never
#                       return 6.6.6.6. Some names of ZONE poison in other ways (A questions):
#                         cname.ZONE  answer "cname.ZONE CNAME www.example.test." and, in the
#                                     answer section too, "www.example.test. A 6.6.6.6"
#                         tld.ZONE    A 192.0.2.66, authority "test. NS ns1.ZONE." and ". NS
#                                     ns1.ZONE.", additional "a.root.sim. A 6.6.6.6" and
#                                     "ns1.nic.test. A 6.6.6.6" (hijacks of the parent and root)
#                         glue.ZONE   A 192.0.2.66, additional "ns1.example.test. A 6.6.6.6" and
#                                     "ns1.other.lab. A 6.6.6.6" (other zones' server addresses)
#                         ans.ZONE    A 192.0.2.66 and, in the answer section, the unrelated
#                                     "other.ZONE. A 6.6.6.6" and "www.example.test. A 6.6.6.6"
#                         sub.ZONE and names below it: a referral (AA=0) "sub.ZONE. NS
#                                     ns1.example.test." with the glue "ns1.example.test. A
#                                     6.6.6.6" (out of bailiwick: must not be believed)
#   slow ZONE DELAY_MS  authoritative for ZONE (slow.test), correct, but every answer (UDP and
#                       TCP) leaves DELAY_MS after the query came: an A question for a name in
#                       ZONE gets A 192.0.2.88 (ns1.ZONE: ADDR). The window a forger aims at.
#   nocase ZONE         authoritative for ZONE (nocase.test), right answers (a name in ZONE: A
#                       192.0.2.89), but the question in every reply is lower-cased, as some old
#                       servers and middleboxes do: it does not keep 0x20 case, UDP or TCP.
#   sideref ZONE        serves ZONE (side.test) but answers A questions with referrals (AA=0)
#                       to zones that are not children of ZONE, each with "ns1.ZONE. A ADDR" as
#                       glue: sib.ZONE -> "example.test. NS ns1.ZONE." (a sibling), up.ZONE ->
#                       "test. NS ns1.ZONE." (the parent), self.ZONE -> "ZONE. NS ns1.ZONE."
#                       (itself), far.ZONE -> "evil.lab. NS ns1.ZONE." (an unrelated zone),
#                       below.ZONE -> "x.below.ZONE. NS ns1.ZONE." (below the name asked). A
#                       resolver must follow none of them.
#   wrongid ZONE [FORGE_ADDR]
#                       authoritative for ZONE (spoof.test): every UDP A question is answered
#                       three times, in this order: from FORGE_ADDR port 53 (when given) with the
#                       right ID and question and A 6.6.6.6 (a reply from an unexpected address);
#                       from ADDR with a wrong ID and A 6.6.6.6; then the true reply, A 192.0.2.77
#                       (ns1.ZONE: ADDR). Over TCP only the true reply is sent.
#   oddauth ZONE        serves ZONE (odd.test) with two odd answers to A questions (Deckard's
#                       iter_cname_cache and iter_lame_aaaa): noaa.ZONE -> NOERROR, AA=0, no
#                       answer, ZONE's SOA in the authority section (a NODATA without AA);
#                       uprefaa.ZONE -> NOERROR, AA=1, no answer, ". NS a.root.sim." and its
#                       address (an upward referral with AA: lame). Other names: A 192.0.2.92.
# In poison, wrongid, slow, nocase, sideref and oddauth modes, ZONE's apex answers NS (ns1.ZONE) and SOA; other
# types and names answer NODATA with the SOA. EDNS: an OPT record (1232) is echoed when the query had one.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;

my ($ADDR, $LOG, $MODE, @ARGS) = @ARGV;
die "usage: badns.pl ADDR LOGFILE silent|refused|upref|poison ZONE|wrongid ZONE [FORGE_ADDR]|"
    . "slow ZONE DELAY_MS|nocase ZONE|sideref ZONE|oddauth ZONE\n"
    unless defined $MODE && $MODE =~ /^(silent|refused|upref|poison|wrongid|slow|nocase|sideref|oddauth)$/;
my $ZONE = lc($ARGS[0] // '');
$ZONE =~ s/\.$//;
die "badns.pl: mode $MODE needs a ZONE\n" if $MODE =~ /^(poison|wrongid|slow|nocase|sideref|oddauth)$/ && $ZONE eq '';
my $FORGE_ADDR = $MODE eq 'wrongid' ? $ARGS[1] : undef;
my $DELAY = $MODE eq 'slow' ? ($ARGS[1] // 300) / 1000 : 0;
my $PORT = $ENV{BADNS_PORT} // 53;

my %T = (A => 1, NS => 2, CNAME => 5, SOA => 6, OPT => 41);

# --- wire helpers ---------------------------------------------------------------------------
sub name_wire {
    my ($n) = @_;
    $n =~ s/\.$//;
    my $w = '';
    $w .= chr(length $_) . $_ for grep { length } split /\./, $n;
    return $w . "\0";
}
sub rr {    # owner (text or wire when it starts with \xc0), type, ttl, rdata
    my ($owner, $type, $ttl, $rdata) = @_;
    my $o = $owner =~ /^\xc0/ ? $owner : name_wire($owner);
    return $o . pack('nnNn', $type, 1, $ttl, length $rdata) . $rdata;
}
sub a_rr { my ($owner, $ip) = @_; return rr($owner, $T{A}, 300, pack('C4', split /\./, $ip)); }
sub soa_rr {
    return rr($ZONE, $T{SOA}, 300, name_wire("ns1.$ZONE") . name_wire("hostmaster.$ZONE")
              . pack('NNNNN', 2024010101, 1800, 900, 604800, 300));
}

# parse_query(packet) -> {id, flags, qname (as sent), lname (lower case), qtype, question
# (wire, as sent), edns} or undef when it is not a one-question query.
sub parse_query {
    my ($p) = @_;
    return undef if length $p < 12;
    my ($id, $flags, $qd, $an, $ns, $ar) = unpack('nnnnnn', $p);
    return undef if ($flags & 0x8000) || $qd != 1;
    my ($pos, @labels) = (12);
    while (1) {
        return undef if $pos >= length $p;
        my $l = ord substr($p, $pos, 1);
        return undef if $l > 63;
        $pos++;
        last if $l == 0;
        push @labels, substr($p, $pos, $l);
        $pos += $l;
    }
    return undef if $pos + 4 > length $p;
    my $qtype = unpack('n', substr($p, $pos, 2));
    my $q = { id => $id, flags => $flags, qtype => $qtype,
              qname => join('.', @labels) . '.', question => substr($p, 12, $pos + 4 - 12) };
    $q->{lname} = lc $q->{qname};
    # EDNS: an OPT record (root owner, type 41) right after the question
    my $rest = substr($p, $pos + 4);
    $q->{edns} = ($ar >= 1 && $an == 0 && $ns == 0 && length $rest >= 11
                  && substr($rest, 0, 1) eq "\0" && unpack('n', substr($rest, 1, 2)) == $T{OPT});
    return $q;
}

# reply(q, rcode, aa, [answer RRs], [authority RRs], [additional RRs], id) -> packet
sub reply {
    my ($q, $rcode, $aa, $an, $ns, $ar, $id) = @_;
    my @ar = @{$ar // []};
    push @ar, "\0" . pack('nnNn', $T{OPT}, 1232, 0, 0) if $q->{edns};
    my $flags = 0x8000 | ($q->{flags} & 0x0100) | ($aa ? 0x0400 : 0) | $rcode;
    return pack('nnnnnn', $id // $q->{id}, $flags, 1, scalar @{$an // []}, scalar @{$ns // []},
                scalar @ar) . $q->{question} . join('', @{$an // []}, @{$ns // []}, @ar);
}

sub in_zone { my ($n) = @_; $n =~ s/\.$//; return $n eq $ZONE || $n =~ /\.\Q$ZONE\E$/; }

# an authoritative answer from ZONE; $addr_for_others is the A of names other than ns1.ZONE.
sub zone_answer {
    my ($q, $a_addr, $extra_ns, $extra_ar) = @_;
    my $n = $q->{lname} =~ s/\.$//r;
    my $ns1 = "ns1.$ZONE";
    if ($n eq $ZONE && $q->{qtype} == $T{NS}) {
        return reply($q, 0, 1, [rr("\xc0\x0c", $T{NS}, 300, name_wire($ns1))], $extra_ns,
                     [a_rr($ns1, $ADDR), @{$extra_ar // []}]);
    }
    if ($n eq $ZONE && $q->{qtype} == $T{SOA}) {
        return reply($q, 0, 1, [soa_rr()], [], []);
    }
    if ($q->{qtype} == $T{A} && $n ne $ZONE) {
        my $ip = $n eq $ns1 ? $ADDR : $a_addr;
        return reply($q, 0, 1, [a_rr("\xc0\x0c", $ip)], $extra_ns,
                     [a_rr($ns1, $ADDR), @{$extra_ar // []}]);
    }
    return reply($q, 0, 1, [], [soa_rr()], []);    # NODATA
}

# poison mode: the names of ZONE that poison in their own way (see the top); () for the others
sub poison_variant {
    my ($q) = @_;
    return () if $q->{qtype} != $T{A};
    my $n = $q->{lname} =~ s/\.$//r;
    my $ns1 = "ns1.$ZONE";
    my $bad = '6.6.6.6';
    if ($n eq "cname.$ZONE") {
        return ('poison:cname', ['main', reply($q, 0, 1,
            [rr("\xc0\x0c", $T{CNAME}, 300, name_wire('www.example.test')), a_rr('www.example.test', $bad)],
            [], [])]);
    }
    if ($n eq "tld.$ZONE") {
        return ('poison:tld', ['main', reply($q, 0, 1, [a_rr("\xc0\x0c", '192.0.2.66')],
            [rr('test', $T{NS}, 86400, name_wire($ns1)), rr('.', $T{NS}, 86400, name_wire($ns1))],
            [a_rr('a.root.sim', $bad), a_rr('ns1.nic.test', $bad), a_rr($ns1, $ADDR)])]);
    }
    if ($n eq "glue.$ZONE") {
        return ('poison:glue', ['main', reply($q, 0, 1, [a_rr("\xc0\x0c", '192.0.2.66')], [],
            [a_rr('ns1.example.test', $bad), a_rr('ns1.other.lab', $bad)])]);
    }
    if ($n eq "ans.$ZONE") {
        return ('poison:ans', ['main', reply($q, 0, 1,
            [a_rr("\xc0\x0c", '192.0.2.66'), a_rr("other.$ZONE", $bad), a_rr('www.example.test', $bad)],
            [], [])]);
    }
    if ($n eq "sub.$ZONE" || $n =~ /\.sub\.\Q$ZONE\E$/) {
        return ('poison:sub', ['main', reply($q, 0, 0, [],
            [rr("sub.$ZONE", $T{NS}, 86400, name_wire('ns1.example.test'))],
            [a_rr('ns1.example.test', $bad)])]);
    }
    return ();
}

# answer(q, proto) -> (log word, list of [socket-kind, packet]) where socket-kind is 'main'
# or 'forge' (UDP only).
sub answer {
    my ($q, $proto) = @_;
    return ('silent') if $MODE eq 'silent';
    return ('refused', ['main', reply($q, 5, 0)]) if $MODE eq 'refused';
    if ($MODE eq 'upref') {
        my @ns = map { rr('.', $T{NS}, 86400, name_wire($_)) } qw(a.root.sim b.root.sim);
        my @ar = (a_rr('a.root.sim', '127.54.0.1'), a_rr('b.root.sim', '127.54.0.2'));
        return ('upref', ['main', reply($q, 0, 0, [], \@ns, \@ar)]);
    }
    if ($MODE eq 'poison') {
        if (!in_zone($q->{lname})) {
            return ('refused', ['main', reply($q, 5, 0)]) if $q->{qtype} != $T{A};
            return ('poisoned', ['main', reply($q, 0, 1, [a_rr("\xc0\x0c", '6.6.6.6')])]);
        }
        my @p = poison_variant($q);
        return @p if @p;
        return ('poison', ['main', zone_answer($q, '192.0.2.66',
                                               [rr('example.test', $T{NS}, 86400, name_wire("ns1.$ZONE"))],
                                               [a_rr('www.example.test', '6.6.6.6')])]);
    }
    if ($MODE eq 'slow') {
        return ('refused', ['main', reply($q, 5, 0)]) if !in_zone($q->{lname});
        return ('slow', ['main', zone_answer($q, '192.0.2.88')]);
    }
    if ($MODE eq 'nocase') {
        return ('refused', ['main', reply($q, 5, 0)]) if !in_zone($q->{lname});
        $q->{question} = name_wire($q->{lname}) . substr($q->{question}, -4);
        return ('nocase', ['main', zone_answer($q, '192.0.2.89')]);
    }
    if ($MODE eq 'sideref') {
        return ('refused', ['main', reply($q, 5, 0)]) if !in_zone($q->{lname});
        my $n = $q->{lname} =~ s/\.$//r;
        my %to = ("sib.$ZONE" => 'example.test', "up.$ZONE" => 'test', "self.$ZONE" => $ZONE,
                  "far.$ZONE" => 'evil.lab', "below.$ZONE" => "x.below.$ZONE");
        if ($q->{qtype} == $T{A} && exists $to{$n}) {
            return ("sideref:$to{$n}", ['main', reply($q, 0, 0, [],
                [rr($to{$n}, $T{NS}, 86400, name_wire("ns1.$ZONE"))], [a_rr("ns1.$ZONE", $ADDR)])]);
        }
        return ('answer', ['main', zone_answer($q, '192.0.2.55')]);
    }
    if ($MODE eq 'oddauth') {
        return ('refused', ['main', reply($q, 5, 0)]) if !in_zone($q->{lname});
        my $n = $q->{lname} =~ s/\.$//r;
        if ($q->{qtype} == $T{A} && $n eq "noaa.$ZONE") {
            return ('nodata-noaa', ['main', reply($q, 0, 0, [], [soa_rr()], [])]);
        }
        if ($q->{qtype} == $T{A} && $n eq "uprefaa.$ZONE") {
            return ('upref-aa', ['main', reply($q, 0, 1, [],
                [rr('.', $T{NS}, 86400, name_wire('a.root.sim'))], [a_rr('a.root.sim', '127.54.0.1')])]);
        }
        return ('answer', ['main', zone_answer($q, '192.0.2.92')]);
    }
    # wrongid
    return ('refused', ['main', reply($q, 5, 0)]) if !in_zone($q->{lname});
    my $true = zone_answer($q, '192.0.2.77');
    return ('answer', ['main', $true]) if $proto eq 'tcp' || $q->{qtype} != $T{A};
    my $fake = reply($q, 0, 1, [a_rr("\xc0\x0c", '6.6.6.6')]);
    my @out;
    push @out, ['forge', $fake] if defined $FORGE_ADDR;
    push @out, ['main', reply($q, 0, 1, [a_rr("\xc0\x0c", '6.6.6.6')], [], [], $q->{id} ^ 0x5a5a)];
    push @out, ['main', $true];
    return ('forged+answer', @out);
}

# --- sockets ---------------------------------------------------------------------------------
my $udp = IO::Socket::IP->new(LocalHost => $ADDR, LocalPort => $PORT, Proto => 'udp')
    or die "badns.pl: bind udp $ADDR:$PORT: $!\n";
my $tcp = IO::Socket::IP->new(LocalHost => $ADDR, LocalPort => $PORT, Proto => 'tcp', Listen => 64,
                              ReuseAddr => 1) or die "badns.pl: bind tcp $ADDR:$PORT: $!\n";
my $forge;
if (defined $FORGE_ADDR) {
    $forge = IO::Socket::IP->new(LocalHost => $FORGE_ADDR, LocalPort => $PORT, Proto => 'udp')
        or die "badns.pl: bind udp $FORGE_ADDR:$PORT: $!\n";
}
open(my $lf, '>>', $LOG) or die "badns.pl: $LOG: $!\n";
$lf->autoflush(1);
$SIG{TERM} = $SIG{INT} = sub { exit 0 };
$SIG{PIPE} = 'IGNORE';

sub handle {    # (packet, proto, peer text) -> list of [kind, packet]
    my ($p, $proto, $peer) = @_;
    my $q = parse_query($p);
    if (!$q) { print $lf "q $proto from=$peer unparsable\n"; return (); }
    my ($what, @out) = answer($q, $proto);
    printf $lf "q %s from=%s id=%d qname=%s qtype=%d do=%s\n", $proto, $peer, $q->{id}, $q->{qname},
        $q->{qtype}, $what;
    return @out;
}

# now(): seconds on a monotonic clock, to the hundredth (perl-base has no Time::HiRes)
sub now {
    open(my $f, '<', '/proc/uptime') or die "badns.pl: /proc/uptime: $!\n";
    my ($up) = split ' ', scalar <$f>;
    return $up;
}
my @later;  # slow mode: [due time, code that sends], in the order they are due
sub send_later { my ($code) = @_; if ($DELAY > 0) { push @later, [now() + $DELAY, $code]; } else { $code->(); } }

my $sel = IO::Select->new($udp, $tcp);
my %buf;    # TCP client socket -> bytes read so far
while (1) {
    my $wait = @later ? $later[0][0] - now() : undef;
    $wait = 0 if defined $wait && $wait < 0;
    my @ready = $sel->can_read($wait);
    while (@later && $later[0][0] <= now()) { (shift @later)->[1]->(); }
    for my $s (@ready) {
        if ($s == $udp) {
            my $from = $udp->recv(my $p, 65535) // next;
            my ($pport, $paddr) = (Socket::unpack_sockaddr_in($from));
            my $peer = Socket::inet_ntoa($paddr) . "#$pport";
            for my $o (handle($p, 'udp', $peer)) {
                my $sock = $o->[0] eq 'forge' ? $forge : $udp;
                send_later(sub { send($sock, $o->[1], 0, $from) });
            }
        } elsif ($s == $tcp) {
            my $c = $tcp->accept or next;
            $buf{$c} = '';
            $sel->add($c);
        } else {
            my $got = sysread($s, $buf{$s}, 65535, length $buf{$s});
            if (!$got) { $sel->remove($s); delete $buf{$s}; close $s; next; }
            while (length $buf{$s} >= 2 && length $buf{$s} >= 2 + unpack('n', $buf{$s})) {
                my $len = unpack('n', $buf{$s});
                my $p = substr($buf{$s}, 2, $len);
                substr($buf{$s}, 0, 2 + $len) = '';
                my $peer = $s->peerhost . '#' . $s->peerport;
                for my $o (handle($p, 'tcp', $peer)) {
                    next unless $o->[0] eq 'main';
                    my $c = $s;
                    send_later(sub { syswrite($c, pack('n', length $o->[1]) . $o->[1]) if defined fileno $c });
                }
            }
        }
    }
}
