; pad.asm: the asm minimum (exit_group(0)) in clonelab's own two-segment layout
; (linker/clonelab.ld), padded, for the exec-cost experiment (make bench-exec-cost):
;   -DPADK=n   n KiB of never-executed bytes after the code, in the R+X segment
;   -DTOUCH    ... and read one byte of each of their pages first
;   -DBSSK=n   n KiB more of .bss, in the R+W segment (which has no file contents)
;   -DBTOUCH   ... and write one byte of each of their pages first
;   -DTWIN     make clonelab --version's three system calls: arch_prctl(ARCH_SET_FS),
;              a write of its line to stdout, exit_group (with -DPADK and -DBSSK of
;              its sizes: clonelab --version's twin in assembly)
; so that the file's size, its touched pages, .bss's size and its touched pages can
; each be varied alone. Every variant writes one word of .bss, as clonelab does.

%ifndef PADK
%define PADK 0
%endif
%ifndef BSSK
%define BSSK 0
%endif

section .text progbits alloc exec nowrite align=1
global _start
_start:
	mov	[rel slot], rsp		; the one word of .bss every variant writes
%ifdef TOUCH
	lea	rsi, [rel pad]		; rsi = the next padding page to read
	mov	ecx, (PADK + 3) / 4	; ecx = pages left
.read:	mov	al, [rsi]
	add	rsi, 4096
	dec	ecx
	jnz	.read
%endif
%ifdef BTOUCH
	lea	rsi, [rel big]		; rsi = the next .bss page to write
	mov	ecx, (BSSK + 3) / 4	; ecx = pages left
.write:	mov	[rsi], al
	add	rsi, 4096
	dec	ecx
	jnz	.write
%endif
%ifdef TWIN
	mov	eax, 158		; arch_prctl
	mov	edi, 0x1002		; ARCH_SET_FS
	lea	rsi, [rel slot]		; rsi = a thread pointer, as clonelab's start-up sets
	syscall
	mov	eax, 1			; write
	mov	edi, 1			; stdout
	lea	rsi, [rel line]
	mov	edx, line.len
	syscall
%endif
	mov	eax, 231		; exit_group
	xor	edi, edi		; status 0
	syscall
%ifdef TWIN
line:	db "clonelab 0.1.0 (x86_64)", 10
.len	equ $ - line
%endif
%if PADK > 0
pad:	times PADK * 1024 db 0xcc
%endif

section .bss
slot:	resq 1
%if BSSK > 0
big:	resb BSSK * 1024
%endif

section .note.GNU-stack noalloc noexec nowrite progbits
