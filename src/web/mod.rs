//! The web boundary: a handful of exports that take and give strings and
//! numbers ([`driver::Driver`]). Everything that touches the browser — fetch,
//! timers, sessionStorage, `pagehide`/`pageshow`, the DOM, argument checks,
//! the error classes and the Strophe-shaped API — is the hand-written
//! JavaScript of `js/`, which calls these exports (see ARCHITECTURE.md, "The
//! JavaScript boundary").

pub mod driver;

#[cfg(target_arch = "wasm32")]
pub use export::{util, Core};

#[cfg(target_arch = "wasm32")]
mod export {
    use super::driver::{self, Driver};
    use crate::rand::RandomSource;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
        fn get_random_values(buf: &mut [u8]);
    }

    /// The browser's CSPRNG.
    struct CryptoRandom;

    impl RandomSource for CryptoRandom {
        fn fill_bytes(&mut self, buf: &mut [u8]) {
            // getRandomValues takes at most 65536 bytes per call.
            for chunk in buf.chunks_mut(65536) {
                get_random_values(chunk);
            }
        }
    }

    /// The core behind the JavaScript layer (see [`Driver`]).
    #[wasm_bindgen(skip_typescript)]
    pub struct Core(Driver);

    #[wasm_bindgen]
    impl Core {
        /// [`Driver::new`]; throws the options reader's message.
        #[wasm_bindgen(constructor)]
        pub fn new(service: &str, options: &str) -> Result<Core, String> {
            Driver::new(service, options, Box::new(CryptoRandom)).map(Core)
        }

        /// [`Driver::command`].
        pub fn command(&mut self, now: f64, op: u32, a: &str, b: &str, n: f64) -> String {
            self.0.command(now, op, a, b, n)
        }

        /// [`Driver::input`].
        pub fn input(&mut self, now: f64, id: f64, status: i32, text: &str) {
            self.0.input(now, id, status, text)
        }

        /// [`Driver::poll`].
        pub fn poll(&mut self, now: f64, transmit: bool) -> String {
            self.0.poll(now, transmit)
        }

        /// [`Driver::get`].
        pub fn get(&self, now: f64, what: u32) -> String {
            self.0.get(now, what)
        }
    }

    /// [`driver::util`].
    #[wasm_bindgen(skip_typescript)]
    pub fn util(what: u32, a: &str) -> String {
        driver::util(what, a)
    }
}
