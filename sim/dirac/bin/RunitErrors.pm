package RunitErrors;
# runit prints errno the djb way (libc error_str.c), not with strerror(3):
# "file does not exist" where perl's $! would say "No such file or directory".
use strict;
use warnings;
use Errno qw(ENOENT EACCES EPERM ENOTDIR ENXIO EISDIR ELOOP EAGAIN EINTR ENOMEM EIO EROFS EBADF ENAMETOOLONG);
use Exporter qw(import);
our @EXPORT_OK = qw(djb_error);

my %TEXT = (
  ENOENT() => 'file does not exist',
  EACCES() => 'access denied',
  EPERM() => 'permission denied',
  ENOTDIR() => 'not a directory',
  ENXIO() => 'device not configured',
  EISDIR() => 'is a directory',
  ELOOP() => 'symbolic link loop',
  EAGAIN() => 'temporary failure',
  EINTR() => 'interrupted system call',
  ENOMEM() => 'out of memory',
  EIO() => 'input/output error',
  EROFS() => 'read-only file system',
  EBADF() => 'file descriptor not open',
  ENAMETOOLONG() => 'file name too long',
);

sub djb_error {
  my ($errno) = @_;
  my $n = $errno + 0;
  return $TEXT{$n} // lc("$errno");
}

1;
