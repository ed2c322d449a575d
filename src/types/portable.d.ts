// The portable integer type names used by assembly/layout.ts, which the host imports. In the
// host they are plain numbers; the core's own build gives them their AssemblyScript meaning.
declare type i32 = number;
declare type u32 = number;
declare type bool = boolean;
