# tests/e2e/DNSWire.pm -- the little DNS wire code the perl test helpers share: encoding a
# name, reading a (possibly compressed) name, building a query, and walking a message's
# records, taking a query apart. perl-base only.
package DNSWire;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT_OK = qw(encode_name read_name make_query walk_rrs parse_query);

sub encode_name {
    my $n = shift;
    $n =~ s/\.$//;
    return "\0" if $n eq '';
    return join('', map { chr(length $_) . $_ } split /\./, $n) . "\0";
}

# (packet, offset) -> (name with a trailing dot, offset after the name in place), or ().
sub read_name {
    my ($pkt, $pos) = @_;
    my ($name, $end, $jumps) = ('', undef, 0);
    while (1) {
        return () if $pos >= length $pkt;
        my $len = ord substr($pkt, $pos, 1);
        if (($len & 0xc0) == 0xc0) {
            return () if $pos + 1 >= length $pkt || ++$jumps > 20;
            $end //= $pos + 2;
            $pos = unpack('n', substr($pkt, $pos, 2)) & 0x3fff;
            next;
        }
        if ($len == 0) { $end //= $pos + 1; return ($name eq '' ? '.' : $name, $end); }
        return () if $pos + 1 + $len > length $pkt;
        $name .= substr($pkt, $pos + 1, $len) . '.';
        $pos += 1 + $len;
    }
}

# make_query(id, name, type, edns_size (0: no OPT), do_bit)
sub make_query {
    my ($id, $name, $type, $edns, $do) = @_;
    my $q = pack('nnnnnn', $id, 0x0100, 1, 0, 0, $edns ? 1 : 0) . encode_name($name) . pack('nn', $type, 1);
    $q .= "\0" . pack('nnNn', 41, $edns, $do ? 0x8000 : 0, 0) if $edns;
    return $q;
}

# (id, flags, question section as sent) of a query with one question, or () when the
# message is not one (too short, QR set, another QDCOUNT, a cut-off name).
sub parse_query {
    my ($q) = @_;
    return () if length($q) < 12;
    my ($id, $flags, $qd) = unpack('nnn', $q);
    return () if $qd != 1 || ($flags & 0x8000);
    my $pos = 12;
    while ($pos < length($q)) {
        my $l = ord(substr($q, $pos, 1));
        $pos += 1 + $l;
        last if $l == 0;
    }
    return () if $pos + 4 > length($q);
    return ($id, $flags, substr($q, 12, $pos + 4 - 12));
}

# Calls $fn->(offset of the RR's TTL, type, owner) for every RR after the question;
# returns false when the message cannot be walked.
sub walk_rrs {
    my ($pkt, $fn) = @_;
    return 0 if length $pkt < 12;
    my ($qd, $an, $ns, $ar) = unpack 'x4nnnn', $pkt;
    my $pos = 12;
    for (1 .. $qd) {
        my ($n, $p) = read_name($pkt, $pos);
        return 0 unless defined $p;
        $pos = $p + 4;
    }
    for (1 .. $an + $ns + $ar) {
        my ($owner, $p) = read_name($pkt, $pos);
        return 0 unless defined $p && $p + 10 <= length $pkt;
        my ($type, $class, $ttl, $rdlen) = unpack 'nnNn', substr($pkt, $p, 10);
        $fn->($p + 4, $type, $owner);
        $pos = $p + 10 + $rdlen;
        return 0 if $pos > length $pkt;
    }
    return 1;
}

1;
