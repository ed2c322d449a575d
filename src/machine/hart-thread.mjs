// One hart on its own thread (a Node worker, or a browser's module Web Worker): the harts of a
// machine run in parallel over one shared memory (src/machine/parallel.ts starts this script and
// owns everything else: the devices, the machine's clock, the end of the run; docs/smp.md).
//
// The thread instantiates its own core of the threaded build (build/core-mt.wasm or
// core-mt-ts.js) over the shared memory with its own system block, attaches the hart's vCPU and
// runs it in slices. What needs the machine goes to the home thread through a control block of
// shared words (the protocol's indices come with the start message, from parallel.ts): a device
// access waits for its answer (Atomics.wait; a worker may block), a store to a watched address
// (HTIF) likewise. Between slices the hart's clock is moved up to the machine's, and when the
// hart waits in WFI the thread sleeps until the home thread rings its door.
//
// Plain JavaScript, no imports: it runs as it is in Node and in browsers, from the source tree
// and from the package.

/** The start message: see parallel.ts (HartThreadStart). */
async function main(start, report) {
  const P = start.proto;
  const ctl = new Int32Array(start.control);
  const bell = new Int32Array(start.bell);
  const L = start.layout;
  let core;
  const request = (op, a, b, c, d) => {
    ctl[P.OP] = op;
    ctl[P.A] = a;
    ctl[P.B] = b;
    ctl[P.C] = c;
    ctl[P.D] = d;
    Atomics.store(ctl, P.STATE, P.REQUEST);
    Atomics.add(bell, 0, 1);
    Atomics.notify(bell, 0);
    while (Atomics.load(ctl, P.STATE) === P.REQUEST) Atomics.wait(ctl, P.STATE, P.REQUEST);
    const result = ctl[P.RESULT];
    Atomics.store(ctl, P.STATE, P.IDLE_STATE);
    return result;
  };
  // The doors of the other harts' threads of this machine or partition, by vCPU: the core wakes
  // one (an IPI, a hart started, a fence asked of it) through its own call HC_THREAD_WAKE.
  const doors = new Map(Object.entries(start.doors ?? {}).map(([v, sab]) => [Number(v), new Int32Array(sab)]));
  const env = {
    // (no translator on threads: nothing is ever compiled, so nothing is entered or released)
    jitCompile: () => 0,
    jitExec: () => 0,
    jitRelease: () => {},
    // The core's sleep while another hart does what it asked (a remote fence, an answer from
    // another node): Atomics.wait on the layout's words (assembly/shim/index.ts says why).
    threadWait: (addr, expected, us) => { Atomics.wait(words, addr >> 2, expected, us / 1000); },
    mmioRead: (d, o, s) => request(P.OP_READ, d, o, s, 0),
    mmioWrite: (d, o, s, v) => { request(P.OP_WRITE, d, o, s, v); },
    hypercall: (v, e, f) => {
      if (e === L.HC_FENCED) {
        // vNUMA: the hart dropped the translations another node asked it to: the answer goes now.
        Atomics.add(bell, 0, 1);
        Atomics.notify(bell, 0);
        return;
      }
      if (e === L.HC_HART_REMOTE) {
        // vNUMA: an operation on hart `f`, on another node (what, in this hart's vCPU block): a
        // message; the core waits for the answer itself.
        request(P.OP_HART, f, 0, 0, 0);
        return;
      }
      if (e === L.HC_THREAD_WAKE) {
        const door = doors.get(f);
        if (door) {
          Atomics.add(door, P.DOOR, 1);
          Atomics.notify(door, P.DOOR);
        }
        return;
      }
      request(P.OP_HYPERCALL, v, e, f, 0);
    },
  };
  // The layout's words (the system blocks, the vCPU blocks): a view the home thread made
  // (layoutWords: it ends below guest RAM), shared with this thread.
  const words = start.words;
  if (start.wasmModule) {
    const instance = await WebAssembly.instantiate(start.wasmModule, { env: { ...env, memory: start.memory, sysBase: start.sysBase } });
    core = instance.exports;
  } else {
    const mod = await import(`${start.tsUrl}?thread=${start.vcpu}&sysBase=${start.sysBase}`);
    mod.shimAttach(start.memory, env);
    core = mod;
  }
  const sys = (offset) => (start.sysBase + offset) >> 2; // a word of this thread's system block
  const home = (offset) => (L.CLOCK_BASE + offset) >> 2; // a word of the machine clock's block (the home block, or the partition's time domain)
  const vcpu = start.vcpu;
  /** The machine's clock, read whole although the home thread may be writing it. */
  const followMachineClock = () => {
    let hi, lo;
    do {
      hi = Atomics.load(words, home(L.CLOCK_HI));
      lo = Atomics.load(words, home(L.CLOCK_LO));
    } while (Atomics.load(words, home(L.CLOCK_HI)) !== hi);
    core.threadClockAtLeast(hi, lo);
  };
  let retired = 0;
  let work = 0;
  const publish = () => {
    ctl[P.RETIRED_LO] = retired % 0x1_0000_0000;
    ctl[P.RETIRED_HI] = Math.floor(retired / 0x1_0000_0000);
    ctl[P.WORK_LO] = work % 0x1_0000_0000;
    Atomics.store(ctl, P.WORK_HI, Math.floor(work / 0x1_0000_0000));
  };

  // The run's work budget, shared by the harts (-1: none): each slice takes its part first and
  // gives back what it did not use, so together the harts never do more than the limit.
  const budget = new BigInt64Array(start.budget);
  const take = (want) => {
    while (true) {
      const left = Atomics.load(budget, 0);
      if (left < 0n) return want;
      if (left === 0n) return 0;
      const part = left < BigInt(want) ? left : BigInt(want);
      if (Atomics.compareExchange(budget, 0, left, left - part) === left) return Number(part);
    }
  };

  // The earliest device deadline (a UART timeout, an RTC alarm) as the home thread last
  // published it (-1: none): a slice ends there, and the thread asks for the devices' events
  // when its clock reaches it — so one hart on a thread sees its devices exactly when the
  // one-thread machine's hart does.
  const devNext = new BigInt64Array(start.devNext);
  const myClock = () => BigInt(words[sys(L.CLOCK_HI)] >>> 0) * 0x1_0000_0000n + BigInt(words[sys(L.CLOCK_LO)] >>> 0);
  const untilDevices = (want) => {
    let next = Atomics.load(devNext, 0);
    if (next < 0n) return want;
    if (next <= myClock()) {
      request(P.OP_EVENTS, 0, 0, 0, 0);
      next = Atomics.load(devNext, 0);
      if (next < 0n) return want;
    }
    const until = next - myClock();
    return until < BigInt(want) ? Math.max(1, Number(until)) : want;
  };

  core.threadAttach(vcpu);
  report({ ready: true });
  // Wait for the go (every thread attached: no hart runs before the machine is complete).
  while (Atomics.load(ctl, P.GO) === 0) Atomics.wait(ctl, P.GO, 0);
  let htifGrace = false;
  const state = () => Atomics.load(words, (start.vcpuAddr + L.V_STATE) >> 2);
  // SBI HSM hart_start writes the hart's registers in its vCPU block and counts the start: the
  // thread loads them whenever the count moved — also when the start came while the thread was
  // still ending the slice that stopped the hart (it never saw it stopped).
  const starts = () => Atomics.load(words, (start.vcpuAddr + L.V_STARTS) >> 2);
  let started = starts();
  /**
   * Asleep from now on in the home thread's eyes, having looked after the ring `door` (the home
   * thread takes the machine for idle only when every hart has looked after its latest ring),
   * until {wakeHi, wakeLo} (-1, -1: no deadline). Returns the wait itself: until the door rings
   * or a while passes.
   */
  const sleep = (door, wakeLo, wakeHi) => {
    ctl[P.WAKE_LO] = wakeLo;
    ctl[P.WAKE_HI] = wakeHi;
    Atomics.store(ctl, P.SEEN, door);
    Atomics.store(ctl, P.IDLE, 1);
    return () => {
      Atomics.add(bell, 0, 1);
      Atomics.notify(bell, 0);
      Atomics.wait(ctl, P.DOOR, door, 100);
      Atomics.store(ctl, P.IDLE, 0);
    };
  };
  while (Atomics.load(ctl, P.STOP) === 0) {
    core.threadService(vcpu); // (what other harts' threads asked of this one: a remote fence)
    if (state() !== L.VS_RUNNABLE) {
      // Stopped (SBI HSM) or halted: asleep until another hart starts it (its registers are then
      // in its vCPU block: loaded again) or the run ends.
      const door = Atomics.load(ctl, P.DOOR);
      const doze = sleep(door, -1, -1);
      if (state() === L.VS_RUNNABLE || Atomics.load(ctl, P.STOP) !== 0) Atomics.store(ctl, P.IDLE, 0);
      else doze();
      core.threadService(vcpu);
      continue;
    }
    if (starts() !== started) {
      started = starts();
      core.threadReload(vcpu);
    }
    followMachineClock();
    const slice = take(untilDevices(htifGrace ? start.htifGrace : start.slice));
    if (slice === 0) {
      // The limit is reached: nothing more runs; the home thread ends the run.
      Atomics.store(ctl, P.LIMITED, 1);
      Atomics.add(bell, 0, 1);
      Atomics.notify(bell, 0);
      const door = Atomics.load(ctl, P.DOOR);
      if (Atomics.load(ctl, P.STOP) === 0) Atomics.wait(ctl, P.DOOR, door, 100);
      continue;
    }
    const reason = core.run(slice);
    const n = words[sys(L.RETIRED)];
    const done = n + words[sys(L.TRAPS)];
    if (done < slice && Atomics.load(budget, 0) >= 0n) Atomics.add(budget, 0, BigInt(slice - done));
    retired += n;
    work += done;
    publish();
    if (htifGrace && reason !== L.EXIT_WATCH) {
      htifGrace = false;
      request(P.OP_HTIF_FLUSH, 0, 0, 0, 0);
    }
    if (reason === L.EXIT_WATCH) {
      htifGrace = request(P.OP_WATCH, words[sys(L.WATCH_ADDR)], 0, 0, 0) !== 0;
    } else if (reason === L.EXIT_RETRY && words[sys(L.DSM_PAGE)] !== 0) {
      // vNUMA: the hart touched a page its node lacks the right for (docs/vnuma.md). The node
      // fetches it (and may drop this hart's translations meanwhile); then the hart goes on.
      const page = words[sys(L.DSM_PAGE)];
      words[sys(L.DSM_PAGE)] = 0;
      core.threadService(vcpu);
      request(P.OP_DSM, page >>> 12, words[sys(L.DSM_WANT)], 0, 0);
    } else if (reason === L.EXIT_HALT) {
      request(P.OP_HALT, vcpu, 0, 0, 0);
    } else if (reason === L.EXIT_WFI) {
      // Asleep until an interrupt can wake the hart: its timer (against the machine's clock,
      // which the other harts or the home thread move on) or a line a device raised.
      // (The door is read before the hart looks: a ring after that ends the wait at once.)
      while (Atomics.load(ctl, P.STOP) === 0 && state() === L.VS_RUNNABLE) {
        const door = Atomics.load(ctl, P.DOOR);
        core.threadService(vcpu);
        followMachineClock();
        core.vcpuCheckTimers(vcpu);
        if (core.vcpuCanWake(vcpu)) break;
        const next = core.vcpuNextTimer(vcpu); // cycles from this hart's clock, or ≥ 2^30: none
        const at = next < L.TIMER_FAR ? myClock() + BigInt(next) : -1n;
        const doze = sleep(door, at < 0n ? -1 : Number(at & 0xffff_ffffn) | 0, at < 0n ? -1 : Number(at >> 32n) | 0);
        // (a line raised before the home thread saw this hart asleep is seen here: both sides use
        // sequentially consistent atomics)
        if (core.vcpuCanWake(vcpu)) {
          Atomics.store(ctl, P.IDLE, 0);
          break;
        }
        doze();
      }
    }
  }
  core.threadDetach();
  publish();
  Atomics.store(ctl, P.DONE, 1);
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
}

// ── Where the start message comes from ───────────────────────────────────────────────────────
if (typeof process !== "undefined" && process.versions?.node) {
  const { parentPort, workerData } = await import("node:worker_threads");
  if (parentPort && workerData?.hartThread) {
    main(workerData, (m) => parentPort.postMessage(m)).catch((err) => {
      parentPort.postMessage({ error: String(err?.stack ?? err) });
    });
  }
} else if (typeof self !== "undefined" && typeof self.postMessage === "function") {
  self.onmessage = (e) => {
    if (!e.data?.hartThread) return;
    main(e.data, (m) => self.postMessage(m)).catch((err) => self.postMessage({ error: String(err?.stack ?? err) }));
  };
}
