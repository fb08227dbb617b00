;; SHA-256's compression function (FIPS 180-4, section 6.2.2) in WebAssembly, for the relay MAC
;; (mac.ts). WebAssembly runs at full speed from the first call, where JavaScript's SHA-256 runs
;; interpreted until the engine has seen it often enough: in a tab that relays a few messages a
;; second it never is, and a MAC cost six times what it costs here (`npm run bench:mac`).
;;
;; Built into sha256-wasm.ts by `npm run build:wasm` (scripts/build-wasm.mjs); a test checks that
;; the two agree. The round constants K are not in the module: mac.ts computes them (the cube roots
;; of the first 64 primes) and writes them at address 0 once it has instantiated the module; the
;; tests check the digests against FIPS 180-4's and RFC 4231's vectors.
;;
;; Memory (one 64 KiB page at least; the caller grows it for longer messages):
;;   0    .. 255   K[0..63], little-endian words (written by mac.ts)
;;   256  .. 511   the message schedule W[0..63]
;;   512  ..       the caller's: a state (8 words, little-endian) and the padded message
(module
  (memory (export "memory") 1)
  (func $bswap (param $x i32) (result i32)
    (i32.or
      (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
      (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))

  ;; Runs the compression over $n 64-byte blocks at $p, on the state at $s (8 words).
  (func (export "blocks") (param $s i32) (param $p i32) (param $n i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (local $i i32) (local $t1 i32) (local $t2 i32) (local $x i32) (local $y i32)
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $n)))
        ;; W[0..15]: the block's big-endian words. $i is a byte offset into W.
        (local.set $i (i32.const 0))
        (loop $load
          (i32.store offset=256 (local.get $i)
            (call $bswap (i32.load (i32.add (local.get $p) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $load (i32.lt_u (local.get $i) (i32.const 64))))
        ;; W[16..63] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]
        (loop $expand
          (local.set $x (i32.load offset=248 (local.get $i)))
          (local.set $y (i32.load offset=196 (local.get $i)))
          (i32.store offset=256 (local.get $i)
            (i32.add
              (i32.add
                (i32.xor
                  (i32.xor (i32.rotr (local.get $x) (i32.const 17)) (i32.rotr (local.get $x) (i32.const 19)))
                  (i32.shr_u (local.get $x) (i32.const 10)))
                (i32.load offset=228 (local.get $i)))
              (i32.add
                (i32.xor
                  (i32.xor (i32.rotr (local.get $y) (i32.const 7)) (i32.rotr (local.get $y) (i32.const 18)))
                  (i32.shr_u (local.get $y) (i32.const 3)))
                (i32.load offset=192 (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $expand (i32.lt_u (local.get $i) (i32.const 256))))
        (local.set $a (i32.load offset=0 (local.get $s)))
        (local.set $b (i32.load offset=4 (local.get $s)))
        (local.set $c (i32.load offset=8 (local.get $s)))
        (local.set $d (i32.load offset=12 (local.get $s)))
        (local.set $e (i32.load offset=16 (local.get $s)))
        (local.set $f (i32.load offset=20 (local.get $s)))
        (local.set $g (i32.load offset=24 (local.get $s)))
        (local.set $h (i32.load offset=28 (local.get $s)))
        ;; 64 rounds; $i is a byte offset into K and W.
        (local.set $i (i32.const 0))
        (loop $round
          ;; T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t]
          (local.set $t1
            (i32.add
              (i32.add
                (i32.add
                  (local.get $h)
                  (i32.xor
                    (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11)))
                    (i32.rotr (local.get $e) (i32.const 25))))
                (i32.xor
                  (i32.and (local.get $e) (local.get $f))
                  (i32.and (i32.xor (local.get $e) (i32.const -1)) (local.get $g))))
              (i32.add
                (i32.load offset=0 (local.get $i))
                (i32.load offset=256 (local.get $i)))))
          ;; T2 = Σ0(a) + Maj(a, b, c)
          (local.set $t2
            (i32.add
              (i32.xor
                (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13)))
                (i32.rotr (local.get $a) (i32.const 22)))
              (i32.xor
                (i32.xor (i32.and (local.get $a) (local.get $b)) (i32.and (local.get $a) (local.get $c)))
                (i32.and (local.get $b) (local.get $c)))))
          (local.set $h (local.get $g))
          (local.set $g (local.get $f))
          (local.set $f (local.get $e))
          (local.set $e (i32.add (local.get $d) (local.get $t1)))
          (local.set $d (local.get $c))
          (local.set $c (local.get $b))
          (local.set $b (local.get $a))
          (local.set $a (i32.add (local.get $t1) (local.get $t2)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $round (i32.lt_u (local.get $i) (i32.const 256))))
        (i32.store offset=0 (local.get $s) (i32.add (i32.load offset=0 (local.get $s)) (local.get $a)))
        (i32.store offset=4 (local.get $s) (i32.add (i32.load offset=4 (local.get $s)) (local.get $b)))
        (i32.store offset=8 (local.get $s) (i32.add (i32.load offset=8 (local.get $s)) (local.get $c)))
        (i32.store offset=12 (local.get $s) (i32.add (i32.load offset=12 (local.get $s)) (local.get $d)))
        (i32.store offset=16 (local.get $s) (i32.add (i32.load offset=16 (local.get $s)) (local.get $e)))
        (i32.store offset=20 (local.get $s) (i32.add (i32.load offset=20 (local.get $s)) (local.get $f)))
        (i32.store offset=24 (local.get $s) (i32.add (i32.load offset=24 (local.get $s)) (local.get $g)))
        (i32.store offset=28 (local.get $s) (i32.add (i32.load offset=28 (local.get $s)) (local.get $h)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $block))))

  ;; Writes the state at $s as the 32-byte big-endian digest at $out.
  (func (export "digest") (param $s i32) (param $out i32)
    (local $i i32)
    (loop $word
      (i32.store (i32.add (local.get $out) (local.get $i))
        (call $bswap (i32.load (i32.add (local.get $s) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $word (i32.lt_u (local.get $i) (i32.const 32))))))
