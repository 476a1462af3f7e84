package llb

// JavaTool is the HardenedBuild source the javac build writes into the builder.
func JavaTool() []byte { return hardenedBuildJava }
