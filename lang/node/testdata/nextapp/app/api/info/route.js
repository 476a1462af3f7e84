export const dynamic = "force-dynamic";

// What the e2e test asks the running image: who serves, and in which mode.
export function GET() {
  return Response.json({ uid: process.getuid(), nodeEnv: process.env.NODE_ENV, cwd: process.cwd() });
}
