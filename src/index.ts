// The library: `import { Hypervisor } from "wasmvisor"`. Everything exported here runs in
// browsers and in Node alike (no Node modules); files, stdio and host disks are in the Node
// adapter, "wasmvisor/node" (src/node/index.ts).

export {
  Hypervisor, STATUS_FAULT,
  type HypervisorOptions, type HypervisorStats, type PartitionStats, type SystemResult, type PagingMode,
  type OutputEvent, type HaltEvent, type DiskStats, type SwitchEvent, type SwitchReason, type ExitEvent,
  type RestoreOptions, MAX_SNAPSHOT_DISK,
} from "./api/hypervisor.js";
export { SnapshotError, type StateValue } from "./snapshot/state.js";
export { FileAgent, FileAgentError, MAX_AGENT_FILE, MAX_AGENT_LIST, AGENT_TIMEOUT, type AgentRequestOptions, type GuestDirEntry } from "./api/files.js";
export { newcArchive, initrdWithFiles, MAX_GUEST_FILES, MAX_GUEST_FILE_BYTES, type GuestFile } from "./loader/cpio.js";
export { type UserDevice, type UserDeviceContext, USER_IRQ_MIN, USER_IRQ_MAX } from "./devices/user-device.js";
export { readSnapshotInfo, type SnapshotInfo } from "./snapshot/format.js";
export { TraceRecorder, type ChromeTrace, type TraceEvent, type TraceRecorderOptions } from "./debug/chrome-trace.js";
export {
  validateSystem, describeSystem, ConfigError, DEFAULT_DISK_BUFFER,
  type SystemDescription, type PartitionDescription, type DiskDescription, type DiskMode,
  type ScheduleDescription, type WindowDescription, type MemoryRegionDescription,
  type MappingDescription, type ChannelDescription, type ChannelEnd, type SystemConfig,
  type PartitionConfig, type DiskConfig, type ConfigProblem,
} from "./config/system.js";
export {
  Machine, STATUS_LIMIT, STATUS_IDLE, RAM_BASE,
  type MachineOptions, type RegisterState, type Halt,
} from "./machine/machine.js";
export { VnumaError, type VnumaPlacement, type VnumaStats, type NodeLink } from "./machine/vnuma/home.js";
export { createCore, loadCoreWasm, CORE_WASM_URL, CORE_KINDS, type Core, type CoreKind, type CoreOptions } from "./core/core.js";
export { MemoryDisk, SECTOR, type BlockStorage } from "./devices/virtio-blk.js";
export { parseElf, ElfError, type ElfImage, type ElfSegment } from "./loader/elf.js";
export { disassemble, type Disassembly } from "./debug/disasm.js";
export { GdbSession, TARGET_XML, type GdbSessionOptions, type SessionEnd } from "./debug/gdb.js";
export {
  MachineTarget, PartitionTarget, type DebugTarget, type DebugInput, type Stop, type ResumeMode,
} from "./debug/target.js";
export { TriggerUnit, type HardwareKind, type TriggerHit } from "./debug/triggers.js";
