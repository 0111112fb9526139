#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (1 stage): POSIX behaviour, mount options and
# limits of khofs, with tmpfs as the oracle. Each kselftest-harness test runs
# on a fresh tmpfs and on a fresh khofs instance with the same assertions.
khofs_posix_test
khofs_limits_test
exit 0
