;; Not a conformance test: runs after 1-hang.wast to show the run goes on.
(component
  (core module $M (func (export "f") (result i32) (i32.const 7)))
  (core instance $m (instantiate $M))
  (func (export "f") (result u32) (canon lift (core func $m "f"))))
(assert_return (invoke "f") (u32.const 7))
