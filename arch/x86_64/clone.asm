; Lean clone trampolines (x86_64, NASM): the ones the library's threads use.
;
;   long cl_clone(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
;                 int *parent_tid, void *tls, int *child_tid)
;   long cl_clone3(struct cl_clone_args *args, unsigned long size,
;                  int (*fn)(void *), void *arg)
;
; Contract (both):
;   - stack_top (clone) or args->stack + args->stack_size (clone3) must be non-zero.
;     The parent aligns it down to 16 bytes, since the kernel never does, and the ABI
;     wants rsp 16-aligned before the call to fn.
;   - A NULL fn or stack_top (clone), or a NULL args, fn or args->stack (clone3) returns
;     -EINVAL, as the C libraries' clone does, before anything is stored. So does a
;     clone3 stack that would end past the address space or leave no room below fn and
;     arg (a stack_size of 0 among them, which the kernel refuses too): clone3 stores
;     only inside [stack, stack + stack_size).
;   - fn and arg are stored in the two words just below the aligned top, which the new
;     stack pointer then points at: at or above the child's rsp, where no signal frame
;     can overwrite them. clone3 rewrites args->stack_size so that the kernel starts
;     the child there (16 bytes below the aligned top: 16 to 31 bytes less than given).
;   - In the parent: returns the child's tid, or -errno. Clobbers rax, rcx, r11, rdx,
;     rsi, rdi, r8, r9, r10.
;   - In the child (first instruction: cl_clone_child, for `break *cl_clone_child`): zeroes rbp, calls fn(arg) with rsp 16-aligned before the call, then
;     exit(fn's result): exit, not exit_group, since a thread must not end its siblings.

%include "offsets.inc"		; CLA_*: struct cl_clone_args offsets, from the C header

SYS_clone	equ 56
SYS_exit	equ 60
SYS_clone3	equ 435
EINVAL		equ 22

; One section per routine, so that the linker's --gc-sections keeps only those a
; program calls; byte alignment, since nothing here is hot enough to pad for.
section .text.cl_clone progbits alloc exec nowrite align=1
global cl_clone:function (cl_clone.end - cl_clone)
global cl_clone3:function (cl_clone3.end - cl_clone3)
global cl_clone_child:function (cl_clone_child.end - cl_clone_child)

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
	jz	cl_clone_child		; rax = 0: we are the child, on the new stack
	ret				; parent: rax = child tid or -errno
.einval:
	push	-EINVAL
	pop	rax			; rax = -EINVAL, in 3 bytes
	ret
.end:

section .text.cl_clone3 progbits alloc exec nowrite align=1
cl_clone3:
	; in: rdi args, rsi size, rdx fn, rcx arg
	push	-EINVAL
	pop	rax			; rax = -EINVAL until the checks pass
	test	rdi, rdi
	jz	.ret			; no args
	test	rdx, rdx
	jz	.ret			; no fn
	mov	r8, [rdi+CLA_STACK]	; r8 = args->stack
	test	r8, r8
	jz	.ret			; no stack
	mov	r9, [rdi+CLA_STACK_SIZE] ; r9 = args->stack_size
	mov	r10, r8
	add	r10, r9			; r10 = top = stack + stack_size
	jc	.ret			; past the end of the address space
	and	r10d, 15
	add	r10d, 16		; r10 = what we take off: the alignment, then fn and arg
	sub	r9, r10			; r9 = the new stack_size: the child's sp - stack
	jbe	.ret			; <= 0: fn and arg would land below the stack (and the
					; kernel refuses a stack_size of 0)
	lea	r10, [r8+r9]		; r10 = the child's sp, 16 bytes below the aligned top
	mov	[r10], rdx		; [newsp]   = fn
	mov	[r10+8], rcx		; [newsp+8] = arg
	mov	[rdi+CLA_STACK_SIZE], r9 ; args->stack_size: the kernel starts the child at newsp
	mov	eax, SYS_clone3
	syscall
	test	rax, rax
	jz	cl_clone_child
.ret:
	ret
.end:

section .text.cl_clone_child progbits alloc exec nowrite align=1
cl_clone_child:
	; rsp = new stack pointer, [rsp] = fn, [rsp+8] = arg; every other register is the
	; parent's, so clear rbp to mark this as the outermost frame.
	xor	ebp, ebp
	pop	rax			; rax = fn
	pop	rdi			; rdi = arg; rsp is back at the top the parent aligned
	call	rax
	mov	edi, eax		; exit status = fn's result
	mov	eax, SYS_exit
	syscall
	ud2				; exit does not return
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
