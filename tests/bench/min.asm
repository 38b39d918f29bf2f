; min.asm: the floor for execve + exit, by hand (x86_64, NASM). The whole program is
; exit_group(0): two instructions of setup and the syscall. Linked by min.ld into one
; R+X PT_LOAD segment that holds the ELF header, the program headers and the code,
; plus a non-executable PT_GNU_STACK (the note section below asks ld for it).

section .text progbits alloc exec nowrite align=1
global _start
_start:
	mov	eax, 231		; exit_group
	xor	edi, edi		; status 0
	syscall

section .note.GNU-stack noalloc noexec nowrite progbits
