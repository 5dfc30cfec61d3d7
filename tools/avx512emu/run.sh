#!/usr/bin/env bash
# run.sh runs a package's tests on an emulated Ice Lake CPU (AVX-512 with
# VNNI), so that the AVX-512 kernels are tested on machines without one.
#
#   tools/avx512emu/run.sh [PACKAGE [GO TEST FLAGS...]]
#   tools/avx512emu/run.sh ./tensor -test.run='KDot|Tile'
#
# It builds Bochs 3.0 from Debian's source (once, a few minutes), takes
# Debian's cloud kernel, and boots it with the package's test binary in an
# initramfs whose init (init/main.go) runs it. Booting takes about a minute
# and the tests run some hundred times slower than natively. It needs root
# (for the initramfs's device nodes and apt), a C++ compiler, and
# deb.debian.org. The work directory is $ZHI_EMU_DIR (/tmp/zhi-avx512emu).
# The tests run with ZHI_REQUIRE_AVX512=1, so that the tensor package fails
# rather than skips its AVX-512 tests should the emulated CPU lack it.
# ZHI_EMU_SHARED names directories of ../shared to put in the initramfs
# (where the tests find them), ZHI_EMU_ENV variables for the tests:
#
#   ZHI_EMU_SHARED=reference ZHI_EMU_ENV=ZHI_REQUIRE_SHARED=1 \
#     tools/avx512emu/run.sh ./model -test.run=LogitsParity
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
pkg=${1:-./tensor}; shift || true
dir=${ZHI_EMU_DIR:-/tmp/zhi-avx512emu}
mkdir -p "$dir" && cd "$dir"
pool=http://deb.debian.org/debian/pool/main

need() { command -v "$1" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
need syslinux syslinux; need mcopy mtools; need mkfs.vfat dosfstools; need cpio cpio; need g++ g++; need make make

if [ ! -x bochs-3.0/bochs ]; then
	curl -sfO "$pool/b/bochs/bochs_3.0+dfsg.orig.tar.xz"
	tar xf bochs_3.0+dfsg.orig.tar.xz
	(cd bochs-3.0 && ./configure --with-nogui --enable-x86-64 --enable-cpu-level=6 --enable-avx \
		--enable-evex --enable-all-optimizations --enable-pci --disable-plugins --disable-debugger \
		>configure.log && make -j"$(nproc)" >make.log)
fi
if [ ! -f vmlinuz ]; then
	apt-get download -qq bochsbios vgabios "$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image/ {print $2; exit}')"
	for deb in *.deb; do dpkg-deb -x "$deb" root; done
	cp root/boot/vmlinuz-* vmlinuz
fi

# The initramfs: init, the test binary, the console and /dev/null, and the
# shared data asked for.
rm -rf ir && mkdir -p ir/dev ir/tmp ir/shared
for d in ${ZHI_EMU_SHARED:-}; do cp -r "$repo/../shared/$d" ir/shared/; done
(cd "$repo" && CGO_ENABLED=0 go build -o "$dir/ir/init" ./tools/avx512emu/init && CGO_ENABLED=0 go test -c -o "$dir/ir/test" "$pkg")
mknod ir/dev/console c 5 1
mknod ir/dev/null c 1 3
(cd ir && find . | cpio -o -H newc 2>/dev/null | gzip -1 >../initrd.gz)

# A FAT disk that syslinux boots. The kernel leaves alone the features
# whose emulation stalls its boot (found by elimination); the tests see
# them all the same, since the CPU still reports them.
size=$(($(stat -c %s initrd.gz) + $(stat -c %s vmlinuz)))
rm -f disk.img disk.img.lock
dd if=/dev/zero of=disk.img bs=516096 count=$((size / 516096 + 20)) 2>/dev/null
mkfs.vfat disk.img >/dev/null
syslinux --install disk.img
cat >syslinux.cfg <<CFG
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0,115200 quiet nokaslr mitigations=off tsc=reliable nowatchdog random.trust_cpu=on lsm=capability nolapic_timer nopku noxsaves noxsaveopt clearcpuid=aperfmperf,tsc_deadline_timer,xsaves,xsavec,xsaveopt,pku,ospke,umip,rdpid,fsrm,split_lock_detect,gfni,vaes,vpclmulqdq,sha_ni ZHI_REQUIRE_AVX512=1 ${ZHI_EMU_ENV:-} rdinit=/init -- $*
CFG
mcopy -i disk.img vmlinuz initrd.gz syslinux.cfg ::

cat >bochsrc <<RC
megs: 1024
cpu: model=corei7_icelake_u, count=1, ips=200000000
romimage: file=$dir/root/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=$dir/root/usr/share/vgabios/vgabios.bin
display_library: nogui
ata0-master: type=disk, path=$dir/disk.img, mode=flat
boot: disk
com1: enabled=1, mode=file, dev=$dir/console.txt
log: $dir/bochs.log
panic: action=fatal
info: action=ignore
clock: sync=none, time0=local
speaker: enabled=0
RC
rm -f console.txt
timeout "${ZHI_EMU_TIMEOUT:-3600}" bochs-3.0/bochs -q -f bochsrc </dev/null >bochs.out 2>&1 || true
cat console.txt
grep -q '^ZHI-EMU PASS' console.txt
