; Raw system call stubs (x86_64, NASM).
;
;   long cl_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
;
; The C calling convention and the kernel's differ in one place: the fourth argument
; travels in rcx for C, but `syscall` overwrites rcx with the return address, so the
; kernel takes it in r10. The seventh C argument (a6) is on the stack.
;   in  (C):      rdi nr, rsi a1, rdx a2, rcx a3, r8 a4, r9 a5, [rsp+8] a6
;   out (kernel): rax nr, rdi a1, rsi a2, rdx a3, r10 a4, r8 a5, r9 a6
;   result:       rax = the kernel's value, -4095..-1 meaning -errno
; Clobbers rax, rcx, r11 (syscall) and rdi, rsi, rdx, r8, r9, r10 (argument shuffle),
; all caller-saved. cl_syscall0..5 are the same code: unused arguments are ignored by
; the kernel, and reading [rsp+8] is always safe (it is the caller's frame).

section .text.cl_syscall progbits alloc exec nowrite align=1
; One routine with seven names: each gets the type and size of the whole.
%assign n 0
%rep 7
global cl_syscall%[n]:function (cl_syscall.end - cl_syscall6)
%assign n n+1
%endrep

cl_syscall0:
cl_syscall1:
cl_syscall2:
cl_syscall3:
cl_syscall4:
cl_syscall5:
cl_syscall6:
	mov	rax, rdi		; rax = syscall number
	mov	rdi, rsi		; rdi = a1
	mov	rsi, rdx		; rsi = a2
	mov	rdx, rcx		; rdx = a3
	mov	r10, r8			; r10 = a4 (not rcx: syscall clobbers it)
	mov	r8, r9			; r8  = a5
	mov	r9, [rsp+8]		; r9  = a6, the stacked seventh C argument
	syscall
	ret
cl_syscall.end:

section .note.GNU-stack noalloc noexec nowrite progbits
