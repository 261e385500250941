;; Ours, from definitions.py: built-ins act for the current thread and its task's instance
;; (current_thread(), current_instance()), and LiftLowerContext.reallocate runs realloc as a
;; task of its own (canon_lift of a sync function in the lowering instance). So a realloc that
;; calls context.get/set (as libc's malloc does for its stack pointer) sees a fresh thread's
;; slots, not the caller's and not the callee's; and canon_task_return from it traps first on
;; may_leave, which reallocate clears. Here $D's realloc runs while $C's task returns a string
;; into $D's memory (before, both traps were "built-in called outside a task of its instance").
(component definition $Test
  (component $C
    (core module $M
      (memory (export "mem") 1)
      (data (i32.const 100) "hello")
      (func (export "get") (result i32)
        (i32.store (i32.const 8) (i32.const 100))
        (i32.store (i32.const 12) (i32.const 5))
        (i32.const 8)))
    (core instance $m (instantiate $M))
    (func (export "get") (result string) (canon lift (core func $m "get") (memory (core memory $m "mem")))))
  (component $D
    (import "get" (func $get (result string)))
    (core module $Libc
      (import "" "context.get" (func $context.get (result i32)))
      (import "" "context.set" (func $context.set (param i32)))
      (import "" "task.return" (func $task.return))
      (memory (export "mem") 1)
      (global $seen (mut i32) (i32.const -1))
      ;; a bump allocator that reads and writes context slot 0, as libc keeps its stack pointer
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (global.set $seen (call $context.get))
        (call $context.set (i32.const 7))
        (i32.const 1000))
      (func (export "realloc-returns") (param i32 i32 i32 i32) (result i32)
        (call $task.return)
        (i32.const 1000))
      (func (export "seen") (result i32) (global.get $seen)))
    (canon context.get i32 0 (core func $context.get))
    (canon context.set i32 0 (core func $context.set))
    (canon task.return (core func $task.return))
    (core instance $libc (instantiate $Libc (with "" (instance
      (export "context.get" (func $context.get))
      (export "context.set" (func $context.set))
      (export "task.return" (func $task.return))))))
    (core func $get (canon lower (func $get) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $get-returns (canon lower (func $get) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc-returns"))))
    (core module $Main
      (import "" "get" (func $get (param i32)))
      (import "" "get-returns" (func $get-returns (param i32)))
      (import "" "context.get" (func $context.get (result i32)))
      (import "" "context.set" (func $context.set (param i32)))
      (import "" "seen" (func $seen (result i32)))
      (import "" "mem" (memory 1))
      ;; returns seen * 1000 + own slot 0 after the call + string length * 100000
      (func (export "run") (result i32)
        (call $context.set (i32.const 42))
        (call $get (i32.const 16))
        (i32.add (i32.add (i32.mul (call $seen) (i32.const 1000)) (call $context.get))
          (i32.mul (i32.load (i32.const 20)) (i32.const 100000))))
      (func (export "run-returns")
        (call $get-returns (i32.const 16))))
    (core instance $main (instantiate $Main (with "" (instance
      (export "get" (func $get))
      (export "get-returns" (func $get-returns))
      (export "context.get" (func $context.get))
      (export "context.set" (func $context.set))
      (export "seen" (func $libc "seen"))
      (export "mem" (memory $libc "mem"))))))
    (func (export "run") (result u32) (canon lift (core func $main "run")))
    (func (export "run-returns") (canon lift (core func $main "run-returns"))))
  (instance $c (instantiate $C))
  (instance $d (instantiate $D (with "get" (func $c "get"))))
  (func (export "run") (alias export $d "run"))
  (func (export "run-returns") (alias export $d "run-returns")))

;; realloc saw slot 0 as 0 (a fresh thread), its set of 7 did not reach run's thread (still 42),
;; and the string (5 bytes) arrived
(component instance $i $Test)
(assert_return (invoke "run") (u32.const 500042))

(component instance $j $Test)
(assert_trap (invoke "run-returns") "cannot leave component instance")
