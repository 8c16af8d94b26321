//! Bedrock Runtime's `Converse`, `ConverseStream` and `ApplyGuardrail`: the request and
//! answer shapes benefind sends and reads (named as in botocore's
//! `bedrock-runtime/2023-09-30` model, which the fake checks them against), and the
//! event-stream framing of `ConverseStream`, encoded and decoded by AWS's own
//! `aws-smithy-eventstream`.
//!
//! Only what the answer route uses is typed: text blocks, guard content, the inference
//! and guardrail settings, and the answers' text, stop reason, usage and guardrail
//! trace. Unknown answer fields are ignored (AWS adds fields, and pads stream events
//! with a `p` field).

use aws_smithy_eventstream::frame::{
    read_message_from, write_message_to, DecodedFrame, MessageFrameDecoder,
};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message as Frame};
use bytes::{Buf, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Amazon Nova Micro: the generation model this path is built for. Regions that serve it
/// only through cross-region inference take the profile id, e.g. `us.amazon.nova-micro-v1:0`.
pub const NOVA_MICRO: &str = "amazon.nova-micro-v1:0";

/// A content block of a message (a union: one of its fields is set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlock {
    /// Plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Text the guardrail evaluates (when a message has any, the guardrail evaluates
    /// only those blocks of the input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_content: Option<GuardContent>,
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// A guard-content block.
    pub fn guarded(text: impl Into<String>) -> Self {
        Self {
            guard_content: Some(GuardContent {
                text: GuardText { text: text.into() },
            }),
            ..Self::default()
        }
    }

    /// The block's text, guarded or not.
    pub fn as_text(&self) -> Option<&str> {
        self.text
            .as_deref()
            .or(self.guard_content.as_ref().map(|g| g.text.text.as_str()))
    }
}

/// `GuardrailConverseContentBlock` with its text member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardContent {
    /// The text.
    pub text: GuardText,
}

/// `GuardrailConverseTextBlock` / `GuardrailTextBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardText {
    /// The text.
    pub text: String,
}

/// A system prompt block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemBlock {
    /// The text.
    pub text: String,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `user` or `assistant`.
    pub role: String,
    /// Its blocks.
    pub content: Vec<ContentBlock>,
}

/// `InferenceConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig {
    /// Most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
}

/// `GuardrailConfiguration` (Converse) and `GuardrailStreamConfiguration` (ConverseStream,
/// which adds `streamProcessingMode`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailConfig {
    /// The guardrail's id or ARN.
    pub guardrail_identifier: String,
    /// A version number or `DRAFT`.
    pub guardrail_version: String,
    /// `enabled`, `disabled` or `enabled_full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// ConverseStream only: `sync` (chunks are checked before they are sent) or `async`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_processing_mode: Option<String>,
}

/// The body of `POST /model/{modelId}/converse` and `/converse-stream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest {
    /// The conversation.
    pub messages: Vec<Message>,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemBlock>,
    /// Generation settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfig>,
    /// The guardrail applied to the input and the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfig>,
}

impl ConverseRequest {
    /// The grounded-answer request ([`crate::cloud::grounding`]): the system prompt, the
    /// numbered passages, the question as guard content (only the member's words are the
    /// guardrail's input: the plan's own passages, with their phone numbers and plan ids,
    /// are not), and the guardrail with its trace on; streamed answers are checked
    /// asynchronously (`streamProcessingMode: async`).
    pub fn grounded(
        question: &str,
        passages: &[crate::cloud::grounding::Passage],
        inference: InferenceConfig,
        guardrail: (&str, &str),
        streaming: bool,
    ) -> Self {
        use crate::cloud::grounding;
        Self {
            messages: vec![Message {
                role: "user".into(),
                content: vec![
                    ContentBlock::text(grounding::passages_block(passages)),
                    ContentBlock::guarded(question),
                ],
            }],
            system: vec![SystemBlock {
                text: grounding::SYSTEM_PROMPT.into(),
            }],
            inference_config: Some(inference),
            guardrail_config: Some(GuardrailConfig {
                guardrail_identifier: guardrail.0.into(),
                guardrail_version: guardrail.1.into(),
                trace: Some("enabled".into()),
                stream_processing_mode: streaming.then(|| "async".into()),
            }),
        }
    }
}

/// `TokenUsage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// Their sum.
    pub total_tokens: u64,
}

/// `ConverseMetrics` / `ConverseStreamMetrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseMetrics {
    /// The model's own latency.
    pub latency_ms: u64,
}

/// `ConverseOutput` (a union whose one member is the message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConverseOutput {
    /// The assistant's message.
    pub message: Message,
}

/// Converse's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    /// What the model (or, when it intervened, the guardrail) wrote.
    pub output: ConverseOutput,
    /// `end_turn`, `max_tokens`, `guardrail_intervened`, …
    pub stop_reason: String,
    /// Tokens.
    pub usage: TokenUsage,
    /// Latency.
    pub metrics: ConverseMetrics,
    /// The guardrail's assessments, when `trace` is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Value>,
}

impl ConverseResponse {
    /// The answer's text: its text blocks, joined.
    pub fn text(&self) -> String {
        self.output
            .message
            .content
            .iter()
            .filter_map(|b| b.text.as_deref())
            .collect()
    }
}

/// The stop reason Bedrock gives when the guardrail replaced the model's answer.
pub const GUARDRAIL_INTERVENED_STOP: &str = "guardrail_intervened";
/// ApplyGuardrail's `action` when the guardrail blocked or masked something.
pub const GUARDRAIL_INTERVENED: &str = "GUARDRAIL_INTERVENED";

/// `POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply`'s body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyGuardrailRequest {
    /// `INPUT` or `OUTPUT`.
    pub source: String,
    /// What to check.
    pub content: Vec<GuardrailContent>,
}

/// `GuardrailContentBlock` with its text member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardrailContent {
    /// The text.
    pub text: GuardText,
}

/// One of ApplyGuardrail's `outputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardrailOutput {
    /// The text to show instead (the blocked message, or the text with entities masked).
    #[serde(default)]
    pub text: Option<String>,
}

/// ApplyGuardrail's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyGuardrailResponse {
    /// `NONE` or `GUARDRAIL_INTERVENED`.
    pub action: String,
    /// Why, when it intervened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// What to show instead, when it intervened.
    pub outputs: Vec<GuardrailOutput>,
    /// Its findings (topics, sensitive information, …), passed on as they are.
    pub assessments: Vec<Value>,
    /// Policy units charged.
    pub usage: Value,
}

/// One decoded event of a ConverseStream answer: its type (the `:event-type` or
/// `:exception-type` header) and JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// `messageStart`, `contentBlockDelta`, …, or an exception's type
    /// (`throttlingException`, `modelStreamErrorException`, …).
    pub kind: String,
    /// Whether it is an exception (`:message-type: exception`).
    pub exception: bool,
    /// The payload.
    pub payload: Value,
}

impl StreamEvent {
    /// A `contentBlockDelta`'s text.
    pub fn delta_text(&self) -> Option<&str> {
        (self.kind == "contentBlockDelta")
            .then(|| self.payload["delta"]["text"].as_str())
            .flatten()
    }
}

/// Frames an event as ConverseStream sends it (`:message-type`, `:event-type` or
/// `:exception-type`, `:content-type: application/json`, the JSON payload).
pub fn encode_event(event: &StreamEvent) -> Bytes {
    let (message_type, type_header) = if event.exception {
        ("exception", ":exception-type")
    } else {
        ("event", ":event-type")
    };
    let frame = Frame::new(Bytes::from(event.payload.to_string()))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.into()),
        ))
        .add_header(Header::new(
            type_header,
            HeaderValue::String(event.kind.clone().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    write_message_to(&frame, &mut out).expect("an event with a small payload frames");
    Bytes::from(out)
}

/// Reads ConverseStream's framing from bytes as they arrive: push what the network gave,
/// then take the complete events. A frame whose prelude or message checksum is wrong,
/// or an event whose payload is not JSON, is an error (the stream cannot be trusted past
/// it).
#[derive(Default)]
pub struct EventStreamReader {
    buffer: BytesMut,
    decoder: MessageFrameDecoder,
}

impl EventStreamReader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a complete event.
    pub fn pending(&self) -> usize {
        self.buffer.remaining()
    }

    /// The next complete event, `Ok(None)` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, String> {
        match self.decoder.decode_frame(&mut self.buffer) {
            Ok(DecodedFrame::Incomplete) => Ok(None),
            Ok(DecodedFrame::Complete(frame)) => event_of(&frame).map(Some),
            Err(e) => Err(format!("the event stream is malformed: {e}")),
        }
    }
}

/// Decodes one whole frame (the fake's tests read what it sends).
pub fn decode_event(bytes: &[u8]) -> Result<StreamEvent, String> {
    let frame = read_message_from(bytes).map_err(|e| format!("malformed event: {e}"))?;
    event_of(&frame)
}

fn event_of(frame: &Frame) -> Result<StreamEvent, String> {
    let header = |name: &str| {
        frame
            .headers()
            .iter()
            .find(|h| h.name().as_str() == name)
            .and_then(|h| h.value().as_string().ok())
            .map(|s| s.as_str().to_owned())
    };
    let exception = header(":message-type").as_deref() == Some("exception");
    let kind = if exception {
        header(":exception-type")
    } else {
        header(":event-type")
    }
    .ok_or("an event has no type header")?;
    let payload = if frame.payload().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(frame.payload())
            .map_err(|e| format!("the {kind} event's payload is not JSON: {e}"))?
    };
    Ok(StreamEvent {
        kind,
        exception,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_survive_framing_split_anywhere() {
        let events = [
            StreamEvent {
                kind: "messageStart".into(),
                exception: false,
                payload: json!({"role": "assistant"}),
            },
            StreamEvent {
                kind: "contentBlockDelta".into(),
                exception: false,
                payload: json!({"delta": {"text": "Préventive — 100 %"}, "contentBlockIndex": 0}),
            },
            StreamEvent {
                kind: "throttlingException".into(),
                exception: true,
                payload: json!({"message": "slow down"}),
            },
        ];
        let wire: Vec<u8> = events
            .iter()
            .flat_map(|e| encode_event(e).to_vec())
            .collect();
        for step in [1, 7, 64, wire.len()] {
            let mut reader = EventStreamReader::new();
            let mut got = Vec::new();
            for piece in wire.chunks(step) {
                reader.push(piece);
                while let Some(e) = reader.next_event().expect("valid stream") {
                    got.push(e);
                }
            }
            assert_eq!(got, events, "pieces of {step} bytes");
            assert_eq!(reader.pending(), 0);
        }
        assert_eq!(events[1].clone().delta_text(), Some("Préventive — 100 %"));
    }

    #[test]
    fn a_corrupted_frame_is_an_error_not_a_panic() {
        let mut wire = encode_event(&StreamEvent {
            kind: "contentBlockDelta".into(),
            exception: false,
            payload: json!({"delta": {"text": "hi"}, "contentBlockIndex": 0}),
        })
        .to_vec();
        let last = wire.len() - 6;
        wire[last] ^= 0x55;
        let mut reader = EventStreamReader::new();
        reader.push(&wire);
        assert!(reader.next_event().is_err());
        assert!(decode_event(&wire[..5]).is_err());
    }
}
