package secrets

// Rotation steps and the crash hook, for the external tests that drive a
// rotation against the real store.
const (
	StepOldKeyRetired = stepOldKeyRetired
	StepNewKeyWritten = stepNewKeyWritten
	StepResealed      = stepResealed
	StepRenamed       = stepRenamed
)

// SetCrashHook installs a hook that may stop a rotation after a step; it
// returns a function restoring the previous hook.
func SetCrashHook(h func(step string) error) (restore func()) {
	prev := crashHook
	crashHook = h
	return func() { crashHook = prev }
}
