;; Not a conformance test: the runner's own check (test/browser/conformance.test.mjs). The second
;; call never returns, so the runner must stop this file at its time limit and go on.
(component
  (core module $M
    (func (export "ok") (result i32) (i32.const 1))
    (func (export "spin") (loop $l (br $l))))
  (core instance $m (instantiate $M))
  (func (export "ok") (result u32) (canon lift (core func $m "ok")))
  (func (export "spin") (canon lift (core func $m "spin"))))
(assert_return (invoke "ok") (u32.const 1))
(invoke "spin")
(assert_return (invoke "ok") (u32.const 1))
