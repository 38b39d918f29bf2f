; min.asm: the floor for execve + exit, by hand (x86_64, NASM). The whole program is
; exit_group(0): two instructions of setup and the syscall. Linked by min.ld into one
; R+X PT_LOAD segment that holds the ELF header, the program headers and the code,
; plus a non-executable PT_GNU_STACK (the note section below asks ld for it).
;
; Built twice more with the project's own linker script (linker/clonelab.ld: a second,
; R+W segment), to show what that segment costs at start-up:
;   -DDATA: one word of initialised .data and 8 KiB of .bss, both written
;   -DBSS:  the same, all in .bss (the segment then has no file contents)

section .text progbits alloc exec nowrite align=1
global _start
_start:
%ifdef DATA
	mov	[rel slot], rsp
	mov	[rel zeroes], rsp
%elifdef BSS
	mov	[rel slot], rsp
	mov	[rel zeroes], rsp
%endif
	mov	eax, 231		; exit_group
	xor	edi, edi		; status 0
	syscall

%ifdef DATA
section .data
slot:	dq 1
section .bss
zeroes:	resq 1024
%elifdef BSS
section .bss
slot:	resq 1
zeroes:	resq 1024
%endif

section .note.GNU-stack noalloc noexec nowrite progbits
