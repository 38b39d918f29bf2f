; _start: the first user instruction of every clonelab binary (x86_64, NASM).
;
; The kernel enters here with:
;   rsp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
;   rdx  = a function to register with atexit (dynamic loaders only; always 0 for a static binary)
;   every other register zero except rsp.
; Contract: calls cl_start_c(sp) with rsp 16-byte aligned before the call, as the SysV ABI wants.
; cl_start_c never returns.

section .text.start progbits alloc exec nowrite align=1
global _start:function (_start.end - _start)
extern cl_start_c

_start:
	xor	ebp, ebp		; rbp = 0: the outermost frame, where backtraces stop
	mov	rdi, rsp		; rdi = the kernel's initial stack (argc at [rdi])
	and	rsp, -16		; the ABI wants 16-byte alignment before the call; make it certain
	call	cl_start_c
	ud2				; unreachable: cl_start_c exits
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
