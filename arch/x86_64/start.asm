; _start: the first user instruction of every clonelab binary (x86_64, NASM).
;
; The kernel enters here with:
;   rsp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
;   rdx  = a function to register with atexit (dynamic loaders only; always 0 for a static binary)
;   every other register zero except rsp, and fs_base = 0: no thread pointer yet.
; Contract: gives the main thread a thread pointer (fs_base = cl_tcb; not in crt0-nossp.o,
; which saves its 16 bytes for programs built with -fno-stack-protector), then calls
; cl_start_c(sp) with rsp 16-byte aligned before the call, as the SysV ABI wants.
; cl_start_c never returns.
;
; Why a thread pointer: GCC's default stack protector on x86_64 reads the canary at
; %fs:0x28 (glibc's TCB layout), in every protected function. With fs_base = 0 that is
; address 0x28, and the first protected function dies of SIGSEGV. So the canary that
; start.c seeds from AT_RANDOM, __stack_chk_guard, lives at cl_tcb + 0x28: code built
; with -mstack-protector-guard=global and code built with the default read one value.

SYS_arch_prctl	equ 158
ARCH_SET_FS	equ 0x1002

section .text.start progbits alloc exec nowrite align=1
global _start:function (_start.end - _start)
extern cl_start_c

_start:
	xor	ebp, ebp		; rbp = 0: the outermost frame, where backtraces stop
%ifndef CL_NO_THREAD_POINTER		; crt0-nossp.o: for code built without a stack protector
	mov	esi, cl_tcb		; rsi = the main thread's TCB (a static binary: a 32-bit address)
	mov	[rsi], rsi		; %fs:0 = the thread pointer itself (the TLS ABI's self pointer)
	mov	di, ARCH_SET_FS		; rdi = ARCH_SET_FS (rdi and rax are 0 at entry: 16-bit moves do)
	mov	al, SYS_arch_prctl	; arch_prctl(ARCH_SET_FS, rsi): fs_base = cl_tcb
	syscall				; clobbers rax, rcx, r11; cannot fail for a mapped address
%endif
	mov	rdi, rsp		; rdi = the kernel's initial stack (argc at [rdi])
	and	rsp, -16		; the ABI wants 16-byte alignment before the call; make it certain
	call	cl_start_c
	ud2				; unreachable: cl_start_c exits
.end:

; In .bss, first in the linker scripts' order with start-up's other variables.
section .bss.__stack_chk_guard nobits alloc noexec write align=16
global cl_tcb, __stack_chk_guard
cl_tcb:
	resq	5			; 0x00: self; 0x08..0x27: TCB words nothing here uses
__stack_chk_guard:
	resq	1			; 0x28: the canary (%fs:0x28 = __stack_chk_guard)
	resq	2			; 0x30: glibc's pointer guard and a spare word, zero

section .note.GNU-stack noalloc noexec nowrite progbits
