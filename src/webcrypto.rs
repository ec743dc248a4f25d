//! Signature checks with the runtime's WebCrypto (`crypto.subtle`), wasm32 only. Verifying upstream
//! id_tokens here instead of with a Rust RSA/ECDSA stack keeps about 400 KB out of the wasm bundle.

use worker::js_sys::{self, Array, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

use crate::oauth::id_token::Alg;

/// Verifies `signature` over `signing_input` with the public key given as a JWK (JSON text).
/// `Ok(false)` means a well-formed but wrong signature; `Err` an unusable key.
pub async fn verify(alg: Alg, jwk_json: &str, signing_input: &[u8], signature: &[u8]) -> Result<bool, String> {
    let subtle = subtle().map_err(|_| "crypto.subtle is unavailable".to_owned())?;
    let jwk = js_sys::JSON::parse(jwk_json).map_err(|_| "the JWK is not JSON".to_owned())?;
    let (import_alg, verify_alg) = match alg {
        Alg::Rs256 => {
            let a = object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())]);
            (a.clone(), a)
        }
        Alg::Es256 => (
            object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]),
            object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())]),
        ),
    };
    let usages = Array::of1(&"verify".into());
    let key = call(&subtle, "importKey", &[&"jwk".into(), &jwk, &import_alg, &false.into(), &usages])
        .await
        .map_err(|e| format!("the JWK cannot be imported: {}", describe(&e)))?;
    let sig = Uint8Array::from(signature);
    let data = Uint8Array::from(signing_input);
    let ok =
        call(&subtle, "verify", &[&verify_alg, &key, &sig, &data]).await.map_err(|e| format!("verification failed: {}", describe(&e)))?;
    Ok(ok.as_bool() == Some(true))
}

fn subtle() -> Result<JsValue, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    Reflect::get(&crypto, &"subtle".into())
}

async fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let array = Array::new();
    for a in args {
        array.push(a);
    }
    let promise: js_sys::Promise = Reflect::apply(&f, target, &array)?.dyn_into()?;
    JsFuture::from(promise).await
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| "unknown error".into())
}
