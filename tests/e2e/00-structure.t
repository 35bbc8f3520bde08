#!/usr/bin/perl
# 00-structure.t -- the shape of resolver/, checked from the source (no build needed).
#
# The include graph: a module is X.c plus X.h; A -> B when resolver/A.c or resolver/A.h
# includes "B.h" (a header without a .c, such as context.h or lru.h, is a module too). The
# graph must have no cycle: modules that need each other's services reach them through a
# callback one of them declares (reply_target's reply callback, the mesh's post hook), not
# by including each other. On a cycle the test prints every strongly connected component
# and its edges, so the include to cut is plain.
#
# Two further checks keep what the split of iterate.c (issue 10, build point 2) made true:
# iterate.c under 600 lines, and fuzz_upstream.c calling the daemon's own functions
# instead of `mirror_` copies of them.
use strict;
use warnings;
use File::Basename qw(dirname basename);

my $root = dirname(dirname(dirname(__FILE__)));
$root = '.' if $root eq '';
my $src  = "$root/resolver";
my $n    = 0;
my $failed = 0;

sub ok {
    my ($cond, $name, $todo) = @_;
    $n++;
    my $line = ($cond ? 'ok' : 'not ok') . " $n - $name";
    $line .= " # TODO $todo" if defined $todo;
    print "$line\n";
    $failed++ if !$cond && !defined $todo;
    return $cond;
}

sub diag { print map { "# $_\n" } split /\n/, join '', @_ }

# ---- the include graph --------------------------------------------------------------------
opendir(my $dh, $src) or die "no $src: $!";
my @files = grep { /\.[ch]$/ } readdir $dh;
closedir $dh;
my %module = map { (my $m = $_) =~ s/\.[ch]$//; ($m => 1) } @files;
my %edges;    # module => { module it includes => "file:line" }
for my $f (sort @files) {
    (my $m = $f) =~ s/\.[ch]$//;
    $edges{$m} //= {};
    open(my $fh, '<', "$src/$f") or die "$src/$f: $!";
    while (my $line = <$fh>) {
        next unless $line =~ /^\s*#\s*include\s+"([^"\/]+)\.h"/;
        my $to = $1;
        next if $to eq $m || !$module{$to};
        $edges{$m}{$to} //= "$f:$.";
    }
    close $fh;
}

# Tarjan's strongly connected components.
my ($index, @stack, %on, %idx, %low, @sccs) = (0);
sub strongconnect {
    my ($v) = @_;
    $idx{$v} = $low{$v} = $index++;
    push @stack, $v;
    $on{$v} = 1;
    for my $w (sort keys %{ $edges{$v} }) {
        if (!exists $idx{$w}) {
            strongconnect($w);
            $low{$v} = $low{$w} if $low{$w} < $low{$v};
        } elsif ($on{$w}) {
            $low{$v} = $idx{$w} if $idx{$w} < $low{$v};
        }
    }
    if ($low{$v} == $idx{$v}) {
        my @c;
        my $w;
        do { $w = pop @stack; $on{$w} = 0; push @c, $w } while ($w ne $v);
        push @sccs, [ sort @c ] if @c > 1;
    }
}
for my $v (sort keys %edges) { strongconnect($v) unless exists $idx{$v} }

ok(scalar(keys %edges) > 10, "resolver/ has modules (" . scalar(keys %edges) . ")");
if (!ok(@sccs == 0, "no include cycle among resolver/ modules")) {
    for my $c (@sccs) {
        my %in = map { $_ => 1 } @$c;
        diag("cycle of " . scalar(@$c) . " modules: @$c");
        for my $m (@$c) {
            my @to = grep { $in{$_} } sort keys %{ $edges{$m} };
            diag("  $m -> " . join(', ', map { "$_ ($edges{$m}{$_})" } @to));
        }
    }
}

# ---- what the split of iterate.c made true --------------------------------------------------
sub lines_of {
    my ($path) = @_;
    open(my $fh, '<', $path) or return -1;
    my $c = 0;
    $c++ while <$fh>;
    close $fh;
    return $c;
}
my $iter_lines = lines_of("$src/iterate.c");
ok($iter_lines >= 0 && $iter_lines < 600, "resolver/iterate.c under 600 lines ($iter_lines)");

my $fuzz = "$root/tests/fuzz/fuzz_upstream.c";
open(my $fz, '<', $fuzz) or die "$fuzz: $!";
my @mirrors;
while (my $line = <$fz>) {
    # a definition: at column 0, the return type, the name, no `;` (not a prototype)
    push @mirrors, $1 if $line =~ /^[a-z][\w\s\*]*?\b(mirror_\w+)\s*\([^;]*$/;
}
close $fz;
ok(@mirrors == 0, "tests/fuzz/fuzz_upstream.c defines no mirror_ function"
   . (@mirrors ? " (has " . join(', ', @mirrors) . ")" : ''));

print "1..$n\n";
exit($failed ? 1 : 0);
