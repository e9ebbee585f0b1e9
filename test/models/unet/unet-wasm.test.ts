// The UNet parity checks of unet.test.ts, on the wasm backend (its own process).
process.env.UNET_TEST_BACKENDS = 'wasm';
await import('./unet.test.ts');
