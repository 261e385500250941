;; Ours: a core module's start function runs as a task of its component instance (as a lifted
;; call from the host would), so the built-ins it calls have a current thread
;; (definitions.py's current_thread()): context.set and context.get in a start function work,
;; as libc's initialisation of its stack pointer needs. Its slots belong to the start's own
;; thread, so a later call sees 0 again.
(component
  (core module $M
    (import "" "context.get" (func $context.get (result i32)))
    (import "" "context.set" (func $context.set (param i32)))
    (global $seen (mut i32) (i32.const -1))
    (func $start
      (call $context.set (i32.const 42))
      (global.set $seen (call $context.get)))
    (start $start)
    (func (export "seen") (result i32) (global.get $seen))
    (func (export "slot") (result i32) (call $context.get)))
  (canon context.get i32 0 (core func $context.get))
  (canon context.set i32 0 (core func $context.set))
  (core instance $m (instantiate $M (with "" (instance
    (export "context.get" (func $context.get))
    (export "context.set" (func $context.set))))))
  (func (export "seen") (result u32) (canon lift (core func $m "seen")))
  (func (export "slot") (result u32) (canon lift (core func $m "slot"))))
(assert_return (invoke "seen") (u32.const 42))
(assert_return (invoke "slot") (u32.const 0))
