; Lean clone trampolines (x86_64, NASM): the ones the library's threads use.
;
;   long cl_clone(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
;                 int *parent_tid, void *tls, int *child_tid)
;   long cl_clone3(struct cl_clone_args *args, unsigned long size,
;                  int (*fn)(void *), void *arg)
;
; Contract (both):
;   - stack_top (clone) or args->stack + args->stack_size (clone3) must be non-zero and
;     16-byte aligned: the kernel never aligns it, and the child faults on a misaligned one.
;     A NULL fn or stack_top (clone), or a NULL args or fn (clone3) returns -EINVAL, as
;     the C libraries' clone does, before anything is stored.
;   - fn and arg are stored in the two words just below the stack top, which the new
;     stack pointer then points at: at or above the child's rsp, where no signal frame
;     can overwrite them. clone3 lowers args->stack_size by those 16 bytes.
;   - In the parent: returns the child's tid, or -errno. Clobbers rax, rcx, r11, rdx,
;     rsi, rdi, r8, r9, r10.
;   - In the child: zeroes rbp, calls fn(arg) with rsp 16-aligned before the call, then
;     exit(fn's result): exit, not exit_group, since a thread must not end its siblings.

SYS_clone	equ 56
SYS_exit	equ 60
SYS_clone3	equ 435
EINVAL		equ 22

; One section per routine, so that the linker's --gc-sections keeps only those a
; program calls; byte alignment, since nothing here is hot enough to pad for.
section .text.cl_clone progbits alloc exec nowrite align=1
global cl_clone, cl_clone3

cl_clone:
	; in: rdi fn, rsi stack_top, rdx flags, rcx arg, r8 parent_tid, r9 tls, [rsp+8] child_tid
	test	rdi, rdi
	jz	.einval			; no fn: nothing for the child to run
	and	rsi, -16		; the parent aligns the top; the kernel never does
	jz	.einval			; no stack (below 16): we would write fn below address 0
	sub	rsi, 16			; rsi = new stack pointer: two words below the top
	mov	[rsi], rdi		; [newsp]   = fn
	mov	[rsi+8], rcx		; [newsp+8] = arg
	mov	rdi, rdx		; kernel a1: flags (low byte: exit signal)
	mov	rdx, r8			; kernel a3: parent_tid
	mov	r10, [rsp+8]		; kernel a4: child_tid
	mov	r8, r9			; kernel a5: tls
	mov	eax, SYS_clone
	syscall
	test	rax, rax
	jz	child			; rax = 0: we are the child, on the new stack
	ret				; parent: rax = child tid or -errno
.einval:
	push	-EINVAL
	pop	rax			; rax = -EINVAL, in 3 bytes
	ret

section .text.cl_clone3 progbits alloc exec nowrite align=1
cl_clone3:
	; in: rdi args, rsi size, rdx fn, rcx arg
	push	-EINVAL
	pop	rax			; rax = -EINVAL until the checks pass
	test	rdi, rdi
	jz	.ret			; no args
	test	rdx, rdx
	jz	.ret			; no fn
	mov	rax, [rdi+40]		; rax = args->stack (offset 40 in struct clone_args)
	add	rax, [rdi+48]		; rax = stack top = stack + stack_size
	and	rax, -16		; aligned by the parent, never by luck
	sub	rax, 16			; rax = the child's stack pointer
	mov	[rax], rdx		; [newsp]   = fn
	mov	[rax+8], rcx		; [newsp+8] = arg
	sub	rax, [rdi+40]
	mov	[rdi+48], rax		; args->stack_size: the kernel starts the child at newsp
	mov	eax, SYS_clone3
	syscall
	test	rax, rax
	jz	child
.ret:
	ret

section .text.cl_clone_child progbits alloc exec nowrite align=1
child:
	; rsp = new stack pointer, [rsp] = fn, [rsp+8] = arg; every other register is the
	; parent's, so clear rbp to mark this as the outermost frame.
	xor	ebp, ebp
	pop	rax			; rax = fn
	pop	rdi			; rdi = arg; rsp is back at the 16-aligned top
	test	spl, 15
	jnz	misaligned
	call	rax
	mov	edi, eax		; exit status = fn's result
	mov	eax, SYS_exit
	syscall
	ud2				; exit does not return
misaligned:
	ud2				; a misaligned child stack is the caller's bug: trap loudly

section .note.GNU-stack noalloc noexec nowrite progbits
