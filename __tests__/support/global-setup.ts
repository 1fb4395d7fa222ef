// Placeholder: replaced by the Docker engine setup.
export default async function globalSetup(): Promise<void> {}
