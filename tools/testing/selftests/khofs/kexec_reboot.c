// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_reboot - load a kernel with kexec_file_load(2) and reboot into it.
 *
 *   kexec_reboot KERNEL INITRD CMDLINE
 *
 * A static stand-in for "kexec -s -l ... && kexec -e" small enough for a
 * busybox initramfs. KHO data is handed over automatically when KHO is
 * enabled in the running kernel.
 */
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kfd, ifd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s KERNEL INITRD CMDLINE\n", argv[0]);
		return 2;
	}
	kfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		perror(argv[1]);
		return 1;
	}
	ifd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (syscall(__NR_kexec_file_load, kfd, ifd, strlen(argv[3]) + 1,
		    argv[3], 0UL)) {
		perror("kexec_file_load");
		return 1;
	}
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	perror("reboot(LINUX_REBOOT_CMD_KEXEC)");
	return 1;
}
